namespace Gregor.Cli.Output;

// What the commands print, independent of the client's result types; the same view goes to a table or JSON.

internal sealed record PartitionView(int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr)
{
    /// <summary>No leader: nobody can read or write the partition.</summary>
    public bool Offline => Leader < 0;

    /// <summary>Fewer in-sync replicas than replicas.</summary>
    public bool UnderReplicated => Isr.Count < Replicas.Count;
}

internal sealed record TopicDescriptionView(string Name, int PartitionCount, int ReplicationFactor,
    IReadOnlyList<PartitionView> Partitions, IReadOnlyDictionary<string, string> Configs);

internal sealed record BrokerView(int Id, string Host, int Port, string? Rack);

internal sealed record ClusterView(string? ClusterId, int ControllerId, IReadOnlyList<BrokerView> Brokers);

internal sealed record PartitionOffsetsView(string Topic, int Partition, long Earliest, long Latest);

/// <summary>A perf run's outcome; latencies in milliseconds.</summary>
internal sealed record PerfReport(string Kind, long Records, long Bytes, double ElapsedSeconds, long Failed,
    double AvgLatencyMs, double P50Ms, double P95Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public double RecordsPerSecond => ElapsedSeconds > 0 ? Records / ElapsedSeconds : 0;

    public double MegabytesPerSecond => ElapsedSeconds > 0 ? Bytes / (1024.0 * 1024.0) / ElapsedSeconds : 0;

    /// <summary>What the run cost the whole process (allocation, collections, CPU), when measured.</summary>
    public Perf.ProcessCost? Cost { get; init; }

    /// <summary>How many records the latency figures are over (all but a warm-up), when latency is measured.</summary>
    public long? TimedRecords { get; init; }
}

/// <summary>A one-line outcome of a change (created, deleted, ...).</summary>
internal sealed record ActionView(string Action, string Topic, string Detail);

/// <summary>One partition's outcome of an election or move: <see cref="Error"/> is null on success.</summary>
internal sealed record PartitionOutcomeView(string Topic, int Partition, string Outcome, string? Error);

internal sealed record ReassignmentView(string Topic, int Partition, IReadOnlyList<int> Replicas, IReadOnlyList<int> Adding, IReadOnlyList<int> Removing);

internal sealed record RandomUuidView(string Uuid);

internal sealed record StorageFormatView(string ClusterId, int NodeId, IReadOnlyList<string> Formatted, IReadOnlyList<string> AlreadyFormatted);

internal sealed record LogDirView(string Directory, string Status, string? ClusterId, int? NodeId, string? DirectoryId, string? Problem);

internal sealed record StorageInfoView(IReadOnlyList<LogDirView> LogDirs, IReadOnlyList<string> Problems);
