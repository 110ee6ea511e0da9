namespace Gregor.Client;

/// <summary>How many replicas must have a record before the leader acknowledges it (<c>acks</c>).</summary>
public enum Acks
{
    None = 0,
    Leader = 1,
    All = -1,
}

/// <summary>The codec batches are compressed with (<c>compression.type</c>).</summary>
public enum CompressionType
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}

/// <summary>Where a consumer starts when it has no valid offset (<c>auto.offset.reset</c>).</summary>
public enum AutoOffsetReset
{
    Latest = 0,
    Earliest = 1,

    /// <summary>Fail instead of resetting (Kafka's <c>none</c>).</summary>
    Error = 2,
}

/// <summary>Whether a consumer sees records of open or aborted transactions (<c>isolation.level</c>).</summary>
public enum IsolationLevel
{
    ReadUncommitted = 0,
    ReadCommitted = 1,
}

/// <summary>How a group's partitions are spread among members (<c>partition.assignment.strategy</c>).</summary>
public enum PartitionAssignmentStrategy
{
    Range = 0,
    RoundRobin = 1,
    CooperativeSticky = 2,
}

/// <summary>The protocol used to talk to brokers (<c>security.protocol</c>); this client speaks plaintext only.</summary>
public enum SecurityProtocol
{
    Plaintext = 0,
}

/// <summary>Which clients a setting applies to.</summary>
[Flags]
public enum ConfigScope
{
    Producer = 1,
    Consumer = 2,
    Admin = 4,
    All = Producer | Consumer | Admin,
}
