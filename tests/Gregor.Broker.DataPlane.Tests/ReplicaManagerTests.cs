using Gregor.Broker.Configuration;
using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;
using Gregor.Protocol;
using Gregor.Storage;

namespace Gregor.Broker.DataPlane.Tests;

public sealed class ReplicaManagerTests
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static Gregor.Protocol.Messages.ProduceResponse.PartitionProduceResponse Single(Gregor.Protocol.Messages.ProduceResponse? response) =>
        Assert.Single(Assert.Single(response!.Responses).PartitionResponses);

    [Fact]
    public async Task New_topics_get_logs_in_kafka_layout_with_their_topic_id()
    {
        await using var broker = new DataPlaneFixture();

        var topic = broker.Metadata.CreateTopic("payments", partitions: 3);

        string dir = broker.Config.LogDirs[0];
        foreach (int partition in new[] { 0, 1, 2 })
        {
            string path = Path.Combine(dir, "payments-" + partition);
            Assert.True(Directory.Exists(path));
            Assert.Contains($"topic_id: {topic.Id}", File.ReadAllText(Path.Combine(path, "partition.metadata")));
            Assert.True(File.Exists(Path.Combine(path, "00000000000000000000.log")));
        }
    }

    [Fact]
    public async Task A_restarted_broker_does_not_lead_at_its_previous_incarnations_epochs_until_the_image_shows_it_registered()
    {
        await using var broker = new DataPlaneFixture();
        KafkaUuid previous = KafkaUuid.NewRandom(Random.Shared), current = KafkaUuid.NewRandom(Random.Shared);
        broker.Replicas.RequireRegistrationAs(current);
        MetadataImage image = broker.Metadata.Current;
        // The image this process read at start still shows the incarnation that died, leading.
        broker.Metadata.Publish(image with { Brokers = image.Brokers.SetItem(TestMetadataView.NodeId, image.Brokers[TestMetadataView.NodeId] with { IncarnationId = previous }) });
        broker.Metadata.CreateTopic("stale", partitions: 1);
        HostedPartition partition = broker.Replicas.GetPartition("stale", 0)!;

        Assert.False(partition.IsLeader);
        var refused = Single(await broker.ProduceAsync("stale", 0, Batches.Create(1, Now)));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, refused.ErrorCode);

        image = broker.Metadata.Current;
        broker.Metadata.Publish(image with { Brokers = image.Brokers.SetItem(TestMetadataView.NodeId, image.Brokers[TestMetadataView.NodeId] with { IncarnationId = current }) });
        Assert.True(partition.IsLeader);
        Assert.Equal(0, Single(await broker.ProduceAsync("stale", 0, Batches.Create(1, Now))).ErrorCode);
    }

    [Fact]
    public async Task Partitions_spread_over_the_log_dirs_by_fewest_partitions()
    {
        await using var broker = new DataPlaneFixture(logDirs: 2);

        broker.Metadata.CreateTopic("a", partitions: 3);
        broker.Metadata.CreateTopic("b", partitions: 1);

        int[] counts = [.. broker.Config.LogDirs.Select(dir => Directory.GetDirectories(dir).Length)];
        Assert.Equal([2, 2], counts);
    }

    [Fact]
    public async Task A_restart_reopens_the_logs_with_their_data()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("kept", partitions: 2);
        await broker.ProduceAsync("kept", 0, Batches.Create(3, Now, "x"));
        await broker.ProduceAsync("kept", 1, Batches.Create(1, Now, "y"));

        await broker.RestartAsync();

        var fetched = (await broker.FetchAsync(DataPlaneFixture.FetchRequestFor(("kept", 0, 0, 1 << 20), ("kept", 1, 0, 1 << 20)))).Responses[0].Partitions;
        Assert.Equal(["x0", "x1", "x2"], Batches.Read(fetched[0].Records!.Value).Select(r => r.Value));
        Assert.Equal(["y0"], Batches.Read(fetched[1].Records!.Value).Select(r => r.Value));
        Assert.Equal(3, fetched[0].HighWatermark);
        Assert.True(broker.Replicas.GetPartition("kept", 0)!.Log.Recovery.HadCleanShutdown);
        var appended = (await broker.ProduceAsync("kept", 0, Batches.Create(1, Now)))!.Responses[0].PartitionResponses[0];
        Assert.Equal(3, appended.BaseOffset);
    }

    [Fact]
    public async Task Stopping_marks_the_log_dir_cleanly_shut_down_and_the_next_start_recovers_nothing()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t", partitions: 2);
        await broker.ProduceAsync("t", 0, Batches.Create(1, Now));
        string dir = broker.Config.LogDirs[0];

        await broker.RestartAsync();

        // One marker for the log dir, as Kafka writes it, and none per log: stopping creates no file per partition.
        foreach (int partition in new[] { 0, 1 })
        {
            Assert.False(File.Exists(Path.Combine(dir, "t-" + partition, LogFileNames.CleanShutdownMarker)));
            PartitionLog log = broker.Replicas.GetPartition("t", partition)!.Log;
            Assert.True(log.Recovery.HadCleanShutdown);
            Assert.Equal(0, log.Recovery.SegmentsRecovered);
        }
        // Read at start and removed before anything could change: a crash from now on finds no marker.
        Assert.False(File.Exists(Path.Combine(dir, LogFileNames.CleanShutdownMarker)));
        broker.Replicas.BrokerEpoch = 41;
        await broker.Replicas.StopAsync();
        Assert.True(File.Exists(Path.Combine(dir, LogFileNames.CleanShutdownMarker)));
        // The marker holds the broker epoch, which the next registration sends as its previous epoch (KIP-966).
        Assert.Equal(41, CleanShutdownFile.ReadBrokerEpoch(broker.Config.LogDirs));
    }

    [Fact]
    public async Task Without_the_log_dir_marker_logs_changed_since_they_opened_are_recovered_and_keep_their_data()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t", partitions: 2);
        await broker.ProduceAsync("t", 0, Batches.Create(3, Now, "a"));
        await broker.RestartAsync();
        // A change after the clean start, then a stop that (as a crash would) leaves no marker.
        await broker.ProduceAsync("t", 0, Batches.Create(2, Now, "b"));
        await broker.Replicas.StopAsync();
        File.Delete(Path.Combine(broker.Config.LogDirs[0], LogFileNames.CleanShutdownMarker));

        await broker.RestartAsync();

        Assert.False(broker.Replicas.GetPartition("t", 0)!.Log.Recovery.HadCleanShutdown);
        Assert.True(broker.Replicas.GetPartition("t", 0)!.Log.Recovery.SegmentsRecovered > 0);
        var fetched = (await broker.FetchAsync("t", 0, 0)).Responses[0].Partitions[0];
        Assert.Equal(["a0", "a1", "a2", "b0", "b1"], Batches.Read(fetched.Records!.Value).Select(r => r.Value));
    }

    [Fact]
    public async Task Deleting_a_topic_removes_its_directories()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("doomed", partitions: 2);
        broker.Metadata.CreateTopic("survivor");
        await broker.ProduceAsync("doomed", 0, Batches.Create(2, Now));

        broker.Metadata.DeleteTopic("doomed");
        await broker.Replicas.WhenDeletionsDone();

        string dir = broker.Config.LogDirs[0];
        Assert.Equal(["survivor-0"], Directory.GetDirectories(dir).Select(Path.GetFileName));
        Assert.Null(broker.Replicas.GetPartition("doomed", 0));
        var produce = (await broker.ProduceAsync("doomed", 0, Batches.Create(1, Now)))!.Responses[0].PartitionResponses[0];
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, produce.ErrorCode);
    }

    [Fact]
    public async Task A_topic_recreated_under_the_same_name_starts_empty()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("reborn");
        await broker.ProduceAsync("reborn", 0, Batches.Create(5, Now));

        // Deleted and recreated between two images (as after a restart that missed the deletion).
        var second = broker.Metadata.CreateTopic("reborn");
        await broker.Replicas.WhenDeletionsDone();

        var partition = broker.Replicas.GetPartition("reborn", 0)!;
        Assert.Equal(second.Id, partition.TopicId);
        Assert.Equal(0, partition.Log.LogEndOffset);
        Assert.Single(Directory.GetDirectories(broker.Config.LogDirs[0]));
    }

    [Fact]
    public async Task Leftover_delete_directories_are_removed_at_start()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        string leftover = Path.Combine(broker.Config.LogDirs[0], "gone-0." + Guid.NewGuid().ToString("N") + "-delete");
        Directory.CreateDirectory(leftover);
        File.WriteAllText(Path.Combine(leftover, "00000000000000000000.log"), "x");

        await broker.RestartAsync();
        await broker.Replicas.WhenDeletionsDone();

        Assert.False(Directory.Exists(leftover));
        Assert.NotNull(broker.Replicas.GetPartition("t", 0));
    }

    [Fact]
    public async Task The_metadata_log_directory_is_left_to_the_control_plane()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        string metadataLog = Path.Combine(broker.Config.LogDirs[0], Gregor.Metadata.MetadataLog.DirectoryName);
        Directory.CreateDirectory(metadataLog);

        await broker.RestartAsync();

        Assert.Null(broker.Replicas.GetPartition("__cluster_metadata", 0));
        Assert.NotNull(broker.Replicas.GetPartition("t", 0));
    }

    [Fact]
    public async Task A_config_change_takes_effect_on_the_open_log()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        Assert.Equal(0, (await broker.ProduceAsync("t", 0, Batches.Create(1, Now, valueBytes: 2000)))!.Responses[0].PartitionResponses[0].ErrorCode);

        broker.Metadata.SetConfigs("t", new Dictionary<string, string>
        {
            ["max.message.bytes"] = "1000",
            ["retention.ms"] = "3600000",
            ["message.timestamp.type"] = "LogAppendTime",
        });

        PartitionLog log = broker.Replicas.GetPartition("t", 0)!.Log;
        Assert.Equal(1000, log.Config.MaxMessageBytes);
        Assert.Equal(3_600_000, log.Config.RetentionMs);
        var refused = (await broker.ProduceAsync("t", 0, Batches.Create(1, Now, valueBytes: 2000)))!.Responses[0].PartitionResponses[0];
        var stamped = (await broker.ProduceAsync("t", 0, Batches.Create(1, 1000)))!.Responses[0].PartitionResponses[0];
        Assert.Equal((short)ErrorCode.MessageTooLarge, refused.ErrorCode);
        Assert.NotEqual(-1, stamped.LogAppendTimeMs);
    }

    [Fact]
    public async Task A_restart_applies_the_topic_configs_from_the_image()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t", configs: new Dictionary<string, string> { ["max.message.bytes"] = "1000" });

        await broker.RestartAsync();

        Assert.Equal(1000, broker.Replicas.GetPartition("t", 0)!.Log.Config.MaxMessageBytes);
    }

    [Fact]
    public async Task Maintenance_applies_retention_and_moves_the_log_start_offset()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("short", configs: new Dictionary<string, string>
        {
            ["internal.segment.bytes"] = "1500",
            ["retention.bytes"] = "1500",
            ["file.delete.delay.ms"] = "0",
        });
        for (int index = 0; index < 6; index++)
            await broker.ProduceAsync("short", 0, Batches.Create(1, Now, valueBytes: 1000));
        Assert.True(broker.Replicas.GetPartition("short", 0)!.Log.Segments.Count >= 5);

        broker.Replicas.RunMaintenance();

        long start = broker.Replicas.GetPartition("short", 0)!.Log.LogStartOffset;
        Assert.True(start >= 4, $"log start offset {start}");
        var earliest = (await broker.ListOffsetsAsync("short", 0, -2)).Topics[0].Partitions[0];
        Assert.Equal(start, earliest.Offset);
        var gone = (await broker.FetchAsync("short", 0, 0)).Responses[0].Partitions[0];
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, gone.ErrorCode);
        Assert.Equal(TimeSpan.FromMinutes(5), broker.Replicas.RetentionCheckInterval);
    }

    [Fact]
    public async Task The_retention_check_interval_comes_from_the_broker_settings()
    {
        await using var broker = new DataPlaneFixture(config => config with
        {
            LogRetentionCheckIntervalMs = BrokerConfigParser.Parse([new("log.retention.check.interval.ms", "1234")]).LogRetentionCheckIntervalMs,
        });

        Assert.Equal(1234, broker.Replicas.RetentionCheckInterval.TotalMilliseconds);
    }
}
