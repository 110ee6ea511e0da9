namespace Gregor.Broker.Configuration;

/// <summary>When a node snapshots its metadata image, under Kafka's names and with Kafka's defaults; whichever limit is reached first triggers one.</summary>
public sealed record MetadataSnapshotSettings
{
    /// <summary><c>metadata.log.max.snapshot.interval.ms</c>: the longest time between snapshots while the log grows (one hour); 0 turns time-based snapshots off.</summary>
    public long MaxIntervalMs { get; init; } = 60 * 60 * 1000;

    /// <summary><c>metadata.log.max.record.bytes.between.snapshots</c>: metadata log bytes after the last snapshot that trigger the next (20 MiB).</summary>
    public long MaxRecordBytesBetweenSnapshots { get; init; } = 20 * 1024 * 1024;
}
