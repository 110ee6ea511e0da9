using System.Globalization;
using Gregor.Broker.Configuration;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Storage;

namespace Gregor.Broker.Replication;

/// <summary>
/// This broker's limits on partition replicas, which the controller checks before it creates topics or partitions
/// (refusing with POLICY_VIOLATION and a message naming the limit):
/// <list type="bullet">
/// <item><c>max.broker.partitions</c> (the name KIP-578 proposed; Kafka itself sets no limit): replicas one broker may
/// host. By default half the memory the runtime may use (the machine's, a container's or a heap limit) over
/// <see cref="EstimatedBytesPerPartition"/>, what a partition costs in memory at most, measured.</item>
/// <item>Descriptors: logs hold descriptors only within their budget, but creating them opens files; creation is
/// refused while fewer than <see cref="DescriptorHeadroom"/> descriptors are free.</item>
/// <item>Disk: the log dirs must have room for the new logs' files (<see cref="BytesPerNewLog"/> bytes and
/// <see cref="InodesPerNewLog"/> inodes each) beyond a reserve of 1% of the file system.</item>
/// </list>
/// Only creation is limited: logs already placed here are always opened and served, whatever the limits say now.
/// </summary>
public sealed class ReplicaCapacity : IReplicaCapacity
{
    public const string MaxBrokerPartitionsName = BrokerSettings.MaxBrokerPartitions;

    /// <summary>Memory one partition costs the broker at most (objects, metadata, mapped index pages), measured at 100,000 partitions.</summary>
    public const long EstimatedBytesPerPartition = 16 * 1024;

    public const int DescriptorHeadroom = 64;

    /// <summary>What a new log's files take before the first record: its directory and partition.metadata blocks, rounded up.</summary>
    public const long BytesPerNewLog = 16 * 1024;

    /// <summary>A new log's inodes: directory, .log, .index, .timeindex, partition.metadata, and a checkpoint later.</summary>
    public const int InodesPerNewLog = 6;

    private readonly BrokerConfig _config;
    private readonly Func<string, FileSystemSpace> _space;
    private readonly Func<(int Open, long Limit)> _descriptors;
    private readonly TimeProvider _time;
    private readonly string _basis;
    // The controller asks one topic at a time, from one thread.
    private (int Open, long Limit) _descriptorSample;
    private long? _descriptorsSampledAt;

    public ReplicaCapacity(BrokerConfig config, TimeProvider time)
        : this(config, FileSystemSpace.Of, () => (ProcessLimits.OpenDescriptorCount(), ProcessLimits.OpenFileSoftLimit()), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, time)
    {
    }

    /// <summary>With the probes of disk space and descriptors, and the memory figure, given (tests).</summary>
    internal ReplicaCapacity(BrokerConfig config, Func<string, FileSystemSpace> space, Func<(int Open, long Limit)> descriptors, long availableMemory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(time);
        _config = config;
        _time = time;
        _space = space;
        _descriptors = descriptors;
        if (config.MaxBrokerPartitions is int max)
        {
            MaxBrokerPartitions = max;
            _basis = "";
        }
        else
        {
            MaxBrokerPartitions = (int)Math.Clamp(availableMemory / 2 / EstimatedBytesPerPartition, 1, int.MaxValue);
            _basis = string.Create(CultureInfo.InvariantCulture,
                $" (by default half of {availableMemory / (double)(1L << 30):0.#} GiB of memory at {EstimatedBytesPerPartition / 1024} KiB a partition)");
        }
    }

    /// <summary>Partition replicas one broker may host.</summary>
    public int MaxBrokerPartitions { get; }

    public string? Refusal(MetadataImage image, IReadOnlyDictionary<int, int> newReplicasByBroker)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(newReplicasByBroker);
        Dictionary<int, int> hosted = HostedReplicas(image, newReplicasByBroker);
        foreach ((int broker, int added) in newReplicasByBroker)
        {
            int total = hosted.GetValueOrDefault(broker) + added;
            if (added > 0 && total > MaxBrokerPartitions)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"Broker {broker} would host {total} partitions, more than {MaxBrokerPartitionsName}={MaxBrokerPartitions}{_basis}.");
            }
        }
        int here = newReplicasByBroker.GetValueOrDefault(_config.NodeId);
        return here > 0 ? DescriptorRefusal() ?? DiskRefusal(here) : null;
    }

    private static Dictionary<int, int> HostedReplicas(MetadataImage image, IReadOnlyDictionary<int, int> brokers)
    {
        var hosted = new Dictionary<int, int>();
        foreach (TopicImage topic in image.TopicsByName.Values)
        {
            foreach (PartitionImage partition in topic.Partitions)
            {
                foreach (int replica in partition.Replicas)
                {
                    if (brokers.ContainsKey(replica))
                        hosted[replica] = hosted.GetValueOrDefault(replica) + 1;
                }
            }
        }
        return hosted;
    }

    private string? DescriptorRefusal()
    {
        // Counting descriptors lists /proc/self/fd: once a second at most, not for every topic of a request.
        if (_descriptorsSampledAt is not { } sampledAt || _time.GetElapsedTime(sampledAt) >= TimeSpan.FromSeconds(1))
        {
            _descriptorSample = _descriptors();
            _descriptorsSampledAt = _time.GetTimestamp();
        }
        (int open, long limit) = _descriptorSample;
        if (open < 0 || limit <= 0 || open + DescriptorHeadroom <= limit)
            return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"Broker {_config.NodeId} has {open} of its {limit} open files (RLIMIT_NOFILE) in use; creating partition logs needs {DescriptorHeadroom} free.");
    }

    private string? DiskRefusal(int newLogs)
    {
        // Logs are spread over the log dirs; each is asked for its share, rounded up.
        int dirs = _config.LogDirs.Count;
        long share = (newLogs + dirs - 1) / dirs;
        foreach (string root in _config.LogDirs)
        {
            FileSystemSpace space = _space(Directory.Exists(root) ? root : Path.GetDirectoryName(Path.GetFullPath(root)) ?? root);
            if (space.AvailableBytes >= 0 && space.TotalBytes > 0)
            {
                long reserve = space.TotalBytes / 100;
                long needed = share * BytesPerNewLog;
                if (space.AvailableBytes - reserve < needed)
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"Log dir {root} has {space.AvailableBytes} bytes free, less than the {needed} bytes {share} new partition logs need beyond a reserve of 1% of its file system ({reserve} bytes).");
                }
            }
            if (space.AvailableInodes >= 0 && space.AvailableInodes < share * InodesPerNewLog)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"Log dir {root} has {space.AvailableInodes} inodes free, fewer than the {share * InodesPerNewLog} that {share} new partition logs need.");
            }
        }
        return null;
    }
}
