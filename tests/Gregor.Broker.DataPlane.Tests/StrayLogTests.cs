using Gregor.Metadata;
using Gregor.Protocol;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>
/// Logs found on disk at start that the first image since then places nowhere here (their topic was deleted, or placed
/// elsewhere, while the broker was down) are stray: no longer held open, moved aside as <c>-stray</c> directories that
/// no later start opens, and kept rather than deleted, as Kafka does.
/// </summary>
public sealed class StrayLogTests
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static string[] Children(DataPlaneFixture broker) =>
        [.. Directory.GetDirectories(broker.Config.LogDirs[0]).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task The_logs_of_a_topic_deleted_while_the_broker_was_down_are_moved_aside_at_the_next_start()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("kept");
        broker.Metadata.CreateTopic("gone", partitions: 2);
        await broker.ProduceAsync("gone", 0, Batches.Create(3, Now, "old"));
        await broker.ProduceAsync("kept", 0, Batches.Create(1, Now, "kept"));

        await broker.Replicas.StopAsync();
        broker.Metadata.DeleteTopic("gone"); // the broker is down: it does not see this change, only the image after it
        await broker.RestartAsync();

        string[] children = Children(broker);
        Assert.Contains("kept-0", children);
        Assert.DoesNotContain("gone-0", children);
        Assert.DoesNotContain("gone-1", children);
        string stray = Assert.Single(children, c => c.StartsWith("gone-0.", StringComparison.Ordinal));
        Assert.EndsWith("-stray", stray, StringComparison.Ordinal);
        Assert.Single(children, c => c.StartsWith("gone-1.", StringComparison.Ordinal) && c.EndsWith("-stray", StringComparison.Ordinal));
        // Moved aside with its data, not deleted.
        Assert.True(new FileInfo(Path.Combine(broker.Config.LogDirs[0], stray, "00000000000000000000.log")).Length > 0);
        Assert.DoesNotContain(broker.Replicas.Partitions, p => p.Id.Topic == "gone");
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, broker.Replicas.NotServedError("gone", 0));

        // Never opened again, and the rest is served as before.
        await broker.RestartAsync();
        Assert.Equal(children, Children(broker));
        Assert.DoesNotContain(broker.Replicas.Partitions, p => p.Id.Topic == "gone");
        var fetched = (await broker.FetchAsync("kept", 0, 0)).Responses[0].Partitions[0];
        Assert.Equal(["kept0"], Batches.Read(fetched.Records!.Value).Select(r => r.Value));
    }

    [Fact]
    public async Task A_log_whose_partition_the_first_image_places_on_another_broker_is_moved_aside()
    {
        await using var broker = new DataPlaneFixture();
        var topic = broker.Metadata.CreateTopic("moved");
        await broker.ProduceAsync("moved", 0, Batches.Create(1, Now));

        await broker.Replicas.StopAsync();
        broker.Metadata.PublishTopic(topic with { Partitions = [new PartitionImage(0, 2, 1, 1, [2], [2])] });
        await broker.RestartAsync();

        Assert.Single(Children(broker), c => c.StartsWith("moved-0.", StringComparison.Ordinal) && c.EndsWith("-stray", StringComparison.Ordinal));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, broker.Replicas.NotServedError("moved", 0));
    }

    [Fact]
    public async Task Only_the_first_image_since_start_decides_and_a_log_without_a_topic_id_is_left_alone()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        // A partition directory with no partition.metadata: nothing says which topic it belongs to.
        string legacy = Path.Combine(broker.Config.LogDirs[0], "legacy-0");
        Directory.CreateDirectory(legacy);

        await broker.RestartAsync();
        broker.Metadata.CreateTopic("later");

        Assert.True(Directory.Exists(legacy));
        Assert.DoesNotContain(Children(broker), c => c.EndsWith("-stray", StringComparison.Ordinal));
        Assert.NotNull(broker.Replicas.GetPartition("t", 0));
        Assert.NotNull(broker.Replicas.GetPartition("later", 0));
    }
}
