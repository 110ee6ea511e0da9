using System.Collections.Immutable;
using Gregor.Broker.Configuration;
using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;
using Gregor.Storage;

namespace Gregor.Broker.Tests.Replication;

/// <summary>The broker's partition limits as the controller meets them: each refusal names its limit.</summary>
public sealed class ReplicaCapacityTests
{
    private const long GiB = 1L << 30;
    private static readonly FileSystemSpace Roomy = new(100 * GiB, 200 * GiB, 1_000_000);

    [Fact]
    public void Max_broker_partitions_counts_what_the_image_already_places_on_each_broker()
    {
        var capacity = Capacity(new Dictionary<string, string> { ["max.broker.partitions"] = "10" });
        MetadataImage image = ImageWith(("a", 6, [1, 2]), ("b", 3, [2]));

        Assert.Equal(10, capacity.MaxBrokerPartitions);
        Assert.Null(capacity.Refusal(image, new Dictionary<int, int> { [1] = 4 }));
        Assert.Equal("Broker 1 would host 11 partitions, more than max.broker.partitions=10.",
            capacity.Refusal(image, new Dictionary<int, int> { [1] = 5 }));
        // Broker 2 has 9 (6 replicas of a, 3 of b).
        Assert.Equal("Broker 2 would host 11 partitions, more than max.broker.partitions=10.",
            capacity.Refusal(image, new Dictionary<int, int> { [1] = 1, [2] = 2 }));
    }

    [Fact]
    public void By_default_the_limit_comes_from_memory_and_the_message_says_so()
    {
        var capacity = Capacity(memory: 4 * GiB);
        Assert.Equal(4 * GiB / 2 / ReplicaCapacity.EstimatedBytesPerPartition, capacity.MaxBrokerPartitions);
        string? refusal = capacity.Refusal(ImageWith(), new Dictionary<int, int> { [1] = capacity.MaxBrokerPartitions + 1 });
        Assert.Equal($"Broker 1 would host {capacity.MaxBrokerPartitions + 1} partitions, more than max.broker.partitions={capacity.MaxBrokerPartitions} (by default half of 4 GiB of memory at 16 KiB a partition).", refusal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("lots")]
    public void A_bad_max_broker_partitions_stops_the_start(string value)
    {
        var error = Assert.Throws<BrokerConfigException>(() => BrokerConfigParser.Parse([new("max.broker.partitions", value)]));
        Assert.Contains("max.broker.partitions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void New_logs_here_are_refused_while_descriptors_are_nearly_all_in_use()
    {
        var capacity = Capacity(descriptors: (990, 1024));
        Assert.Equal("Broker 1 has 990 of its 1024 open files (RLIMIT_NOFILE) in use; creating partition logs needs 64 free.",
            capacity.Refusal(ImageWith(), new Dictionary<int, int> { [1] = 1 }));
        // Replicas placed only on other brokers do not need this broker's descriptors.
        Assert.Null(capacity.Refusal(ImageWith(), new Dictionary<int, int> { [2] = 1 }));
        Assert.Null(Capacity(descriptors: (960, 1024)).Refusal(ImageWith(), new Dictionary<int, int> { [1] = 1 }));
    }

    [Fact]
    public void New_logs_are_refused_when_the_log_dir_lacks_room_or_inodes_beyond_its_reserve()
    {
        // 1 GiB disk: the reserve is about 10 MiB; 12 MiB free leaves room for ~100 logs of 16 KiB.
        var tight = Capacity(space: new FileSystemSpace(12L << 20, GiB, 1_000_000));
        Assert.Null(tight.Refusal(ImageWith(), new Dictionary<int, int> { [1] = 100 }));
        string? refusal = tight.Refusal(ImageWith(), new Dictionary<int, int> { [1] = 200 });
        Assert.NotNull(refusal);
        Assert.Contains("bytes free, less than the 3276800 bytes 200 new partition logs need beyond a reserve of 1% of its file system", refusal, StringComparison.Ordinal);

        var fewInodes = Capacity(space: new FileSystemSpace(100 * GiB, 200 * GiB, 50));
        Assert.Contains("has 50 inodes free, fewer than the 60 that 10 new partition logs need", fewInodes.Refusal(ImageWith(), new Dictionary<int, int> { [1] = 10 }), StringComparison.Ordinal);
    }

    [Fact]
    public void The_file_system_figures_match_what_dotnet_reports()
    {
        string directory = Path.GetTempPath();
        FileSystemSpace space = FileSystemSpace.Of(directory);
        var drive = new DriveInfo(directory);
        Assert.InRange(space.TotalBytes, drive.TotalSize - (drive.TotalSize / 100), drive.TotalSize + (drive.TotalSize / 100));
        Assert.InRange(space.AvailableBytes, drive.AvailableFreeSpace - GiB, drive.AvailableFreeSpace + GiB);
        Assert.True(space.AvailableInodes > 0);
    }

    private static ReplicaCapacity Capacity(Dictionary<string, string>? settings = null, long memory = 16 * GiB,
        (int Open, long Limit)? descriptors = null, FileSystemSpace? space = null)
    {
        var config = BrokerConfigParser.Parse(settings ?? []) with { NodeId = 1, LogDirs = [Path.GetTempPath()] };
        return new ReplicaCapacity(config, _ => space ?? Roomy, () => descriptors ?? (100, 20_000), memory, TimeProvider.System);
    }

    private static MetadataImage ImageWith(params (string Name, int Partitions, int[] Replicas)[] topics)
    {
        var byName = ImmutableDictionary<string, TopicImage>.Empty;
        foreach ((string name, int partitions, int[] replicas) in topics)
        {
            var topic = new TopicImage(name, KafkaUuid.NewRandom(Random.Shared),
                [.. Enumerable.Range(0, partitions).Select(p => new PartitionImage(p, replicas[0], 0, 0, [.. replicas], [.. replicas]))],
                ImmutableDictionary<string, string>.Empty);
            byName = byName.Add(name, topic);
        }
        return new MetadataImage(0, "cluster", 1, ImmutableDictionary<int, BrokerRegistration>.Empty, byName,
            byName.Values.ToImmutableDictionary(t => t.Id), ImmutableDictionary<string, string>.Empty);
    }
}
