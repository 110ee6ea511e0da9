using Gregor.Metadata.Controller;
using Gregor.Metadata.Records;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

public sealed class MetadataLogTests : IDisposable
{
    private readonly ControllerFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static object Snapshot(MetadataImage image) => new
    {
        image.ClusterId,
        Brokers = string.Join(";", image.Brokers.Values.OrderBy(b => b.NodeId)),
        Topics = string.Join(";", image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t =>
            $"{t.Name}/{t.Id}/{string.Join(",", t.Partitions.Select(p => $"{p.Partition}:{p.Leader}:{string.Join('.', p.Replicas)}"))}/" +
            string.Join(",", t.Configs.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key + "=" + c.Value)))),
        Cluster = string.Join(",", image.ClusterConfigs.OrderBy(c => c.Key, StringComparer.Ordinal)),
    };

    [Fact]
    public async Task Restart_replays_the_log_to_the_same_image()
    {
        await _f.CreateAsync("a", partitions: 3, configs: ("retention.ms", "100"));
        await _f.CreateAsync("b", partitions: 1);
        await _f.Controller.DeleteTopicsAsync([new TopicReference("b", default)]);
        await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("a", 5, null)], false);
        await _f.Controller.IncrementalAlterConfigsAsync([new ConfigResourceChanges(ConfigResourceType.Broker, "", [new ConfigChange("log.retention.hours", ConfigOperationKind.Set, "5")])], false);
        var before = Snapshot(_f.Image);
        long offset = _f.Image.Offset;

        _f.Reopen();

        Assert.Equal(before, Snapshot(_f.Image));
        Assert.Equal(offset, _f.Image.Offset); // re-registering an unchanged broker writes nothing
    }

    [Fact]
    public async Task A_torn_last_batch_is_dropped_whole_on_restart()
    {
        await _f.CreateAsync("kept", partitions: 2);
        var before = Snapshot(_f.Image);
        long sizeBefore = new FileInfo(_f.SegmentFile).Length;
        await _f.CreateAsync("torn", partitions: 4, configs: ("retention.ms", "1"));
        long sizeAfter = new FileInfo(_f.SegmentFile).Length;
        Assert.True(sizeAfter > sizeBefore + 10);

        // A crash in the middle of writing the last batch: the files as they are while the log is open (no clean
        // shutdown), with only part of the last batch on disk.
        using var crashed = new TempDirectory();
        CopyDirectory(_f.Directory, crashed.Path);
        string segment = Path.Combine(crashed.Path, MetadataLog.DirectoryName, Path.GetFileName(_f.SegmentFile));
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write))
            file.SetLength(sizeBefore + ((sizeAfter - sizeBefore) / 2));

        using var recovered = new ControllerFixture(crashed.Path);
        Assert.Equal(before, Snapshot(recovered.Image));
        Assert.Null(recovered.Image.Topic("torn"));
        Assert.Equal(ErrorCode.None, (await recovered.CreateAsync("torn")).Error);
        recovered.Reopen();
        Assert.NotNull(recovered.Image.Topic("torn"));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var target = File.Create(file.Replace(from, to, StringComparison.Ordinal));
            source.CopyTo(target);
        }
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gregor-meta-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Meta_properties_of_another_node_refuse_to_start()
    {
        _f.Close();
        var e = Assert.Throws<MetaPropertiesMismatchException>(() => MetadataBootstrap.Open([_f.Directory], 2, new Random(1), TimeProvider.System));
        Assert.Contains("node.id 2", e.Message, StringComparison.Ordinal);
        _f.Open();
    }

    [Fact]
    public void Meta_properties_keep_one_cluster_id_in_kafka_form()
    {
        string clusterId = _f.Image.ClusterId;
        Assert.Equal(22, clusterId.Length);
        Assert.True(KafkaUuid.TryParse(clusterId, out _));
        string text = File.ReadAllText(Path.Combine(_f.Directory, MetaProperties.FileName));
        Assert.Contains("version=1", text, StringComparison.Ordinal);
        Assert.Contains("cluster.id=" + clusterId, text, StringComparison.Ordinal);
        Assert.Contains("node.id=1", text, StringComparison.Ordinal);

        string other = Path.Combine(Path.GetTempPath(), "gregor-meta-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Equal(clusterId, MetaProperties.EnsureConsistent([_f.Directory, other], 1, new Random(7)));
            File.WriteAllText(Path.Combine(other, MetaProperties.FileName), "version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=1\n");
            Assert.Throws<MetaPropertiesMismatchException>(() => MetaProperties.EnsureConsistent([_f.Directory, other], 1, new Random(7)));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public void Records_round_trip_and_unknown_types_are_refused()
    {
        var record = new PartitionRecord { TopicId = KafkaUuid.NewRandom(new Random(3)), PartitionId = 7, Replicas = [1, 2], Isr = [2], Leader = 2, LeaderEpoch = 4, PartitionEpoch = 9 };
        var decoded = Assert.IsType<PartitionRecord>(MetadataRecordCodec.Decode(MetadataRecordCodec.Encode(record)));
        Assert.Equal((record.TopicId, 7, 2, 4, 9), (decoded.TopicId, decoded.PartitionId, decoded.Leader, decoded.LeaderEpoch, decoded.PartitionEpoch));
        Assert.Equal([1, 2], decoded.Replicas);
        byte[] unknown = MetadataRecordCodec.Encode(new RemoveTopicRecord { TopicId = record.TopicId });
        unknown[1] = 77;
        Assert.Throws<MalformedMessageException>(() => MetadataRecordCodec.Decode(unknown));
    }

    [Fact]
    public void Fold_refuses_records_that_contradict_the_image()
    {
        var image = MetadataImage.Empty("c", 1);
        var id = KafkaUuid.NewRandom(new Random(5));
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new PartitionRecord { TopicId = id, PartitionId = 0, Replicas = [1], Isr = [1] }, 0));
        image = image.Apply(new TopicRecord { Name = "t", TopicId = id }, 0);
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new PartitionRecord { TopicId = id, PartitionId = 2, Replicas = [1], Isr = [1] }, 1));
        image = image.Apply(new ConfigRecord { ResourceType = 2, ResourceName = "t", Name = "retention.ms", Value = "5" }, 1);
        Assert.Equal("5", image.Topic("t")!.Configs["retention.ms"]);
        image = image.Apply(new ConfigRecord { ResourceType = 2, ResourceName = "t", Name = "retention.ms", Value = null }, 2);
        Assert.Empty(image.Topic("t")!.Configs);
        image = image.Apply(new RemoveTopicRecord { TopicId = id }, 3);
        Assert.Null(image.Topic("t"));
        Assert.Equal(3, image.Offset);
    }
}
