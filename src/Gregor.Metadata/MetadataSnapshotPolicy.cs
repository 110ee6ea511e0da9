namespace Gregor.Metadata;

/// <summary>
/// When the metadata log snapshots its image, with Kafka's defaults: once the committed metadata batches since the
/// last snapshot reach <see cref="MaxRecordBytesBetweenSnapshots"/> (<c>metadata.log.max.record.bytes.between.snapshots</c>),
/// or once <see cref="MaxIntervalMs"/> (<c>metadata.log.max.snapshot.interval.ms</c>; 0: never by time) has passed
/// since the last one (or since the start) and something was committed meanwhile.
/// </summary>
public sealed record MetadataSnapshotPolicy(long MaxRecordBytesBetweenSnapshots = 20 * 1024 * 1024, long MaxIntervalMs = 60 * 60 * 1000)
{
    public static MetadataSnapshotPolicy Default { get; } = new();

    /// <summary>Whether a snapshot is due after <paramref name="bytesSince"/> committed bytes over <paramref name="msSince"/> milliseconds.</summary>
    public bool IsDue(long bytesSince, long msSince) =>
        bytesSince > 0 && (bytesSince >= MaxRecordBytesBetweenSnapshots || (MaxIntervalMs > 0 && msSince >= MaxIntervalMs));
}
