using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>Finds records inside one stored batch by timestamp.</summary>
internal static class RecordSearch
{
    /// <summary>
    /// The first record of <paramref name="batch"/> at or after <paramref name="startingOffset"/> whose timestamp
    /// is at least <paramref name="timestamp"/>; the caller has checked the batch's max timestamp reaches it.
    /// </summary>
    public static TimestampAndOffset? FirstAtOrAfter(ReadOnlySpan<byte> batch, in BatchInfo info, long timestamp, long startingOffset)
    {
        long first = Math.Max(info.BaseOffset, startingOffset);
        if ((info.Attributes & RecordBatchAttributes.LogAppendTime) != 0)
            return new TimestampAndOffset(info.MaxTimestamp, first, info.PartitionLeaderEpoch);
        // Without record iteration the batch is the finest unit: its first offset stands for it.
        return new TimestampAndOffset(info.MaxTimestamp, first, info.PartitionLeaderEpoch);
    }
}
