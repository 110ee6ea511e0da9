using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>The header fields of one stored batch and where it sits in its segment file.</summary>
public readonly record struct BatchInfo(
    int Position,
    int Size,
    long BaseOffset,
    long LastOffset,
    long MaxTimestamp,
    int PartitionLeaderEpoch,
    int RecordsCount,
    RecordBatchAttributes Attributes)
{
    public long NextOffset => LastOffset + 1;

    /// <summary>Reads the header at the start of <paramref name="batch"/> (at least 61 bytes).</summary>
    public static BatchInfo Parse(ReadOnlySpan<byte> batch, int position) => new(
        position,
        RecordBatchHeader.TotalSize(batch),
        RecordBatchHeader.BaseOffset(batch),
        RecordBatchHeader.LastOffset(batch),
        RecordBatchHeader.MaxTimestamp(batch),
        RecordBatchHeader.PartitionLeaderEpoch(batch),
        RecordBatchHeader.RecordsCount(batch),
        RecordBatchHeader.Attributes(batch));
}
