using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>Finds records inside one stored batch by timestamp.</summary>
internal static class RecordSearch
{
    /// <summary>
    /// The first record of <paramref name="batch"/> at or after <paramref name="startingOffset"/> whose timestamp
    /// is at least <paramref name="timestamp"/>, or null if none is. A batch whose records cannot be opened here
    /// (a compression codec whose native library is missing here) answers with its first offset, which is never
/// past the right one.
    /// </summary>
    public static TimestampAndOffset? FirstAtOrAfter(ReadOnlySpan<byte> batch, in BatchInfo info, long timestamp, long startingOffset)
    {
        if (info.MaxTimestamp < timestamp || info.LastOffset < startingOffset)
            return null;
        long first = Math.Max(info.BaseOffset, startingOffset);
        if ((info.Attributes & RecordBatchAttributes.LogAppendTime) != 0)
            return new TimestampAndOffset(info.MaxTimestamp, first, info.PartitionLeaderEpoch);
        if (!RecordBatchReader.TryOpen(batch, out RecordBatchReader reader).IsValid)
            return new TimestampAndOffset(info.MaxTimestamp, first, info.PartitionLeaderEpoch);
        using (reader)
        {
            while (reader.TryReadNext(out Record record))
            {
                if (record.Offset >= startingOffset && record.Timestamp >= timestamp)
                    return new TimestampAndOffset(record.Timestamp, record.Offset, info.PartitionLeaderEpoch);
            }
        }
        return null;
    }
}
