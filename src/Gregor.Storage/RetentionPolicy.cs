namespace Gregor.Storage;

/// <summary>Why retention removed segments.</summary>
[Flags]
public enum RetentionReason
{
    None = 0,
    /// <summary>retention.ms: the segment's largest timestamp is older than the limit.</summary>
    Time = 1,
    /// <summary>retention.bytes: the log is bigger than the limit without it.</summary>
    Size = 2,
    /// <summary>The log start offset moved past the whole segment (DeleteRecords).</summary>
    LogStartOffset = 4,
}

/// <summary>
/// Kafka's delete-policy retention: whole segments from the oldest, never one holding data at or above the high
/// watermark. The active segment goes too once it holds data and all of it is committed (the log then rolls first,
/// as Kafka's does, so an empty active segment at the log end remains): otherwise a topic that stops receiving
/// writes would keep its expired records for ever. Each rule deletes a prefix of the segment list.
/// </summary>
public static class RetentionPolicy
{
    /// <summary>How many of the oldest segments may be deleted, and by which rules.</summary>
    public static (int Count, RetentionReason Reasons) DeletableSegments(
        IReadOnlyList<LogSegment> segments, LogConfig config, long nowMs, long highWatermark, long logStartOffset, long logEndOffset)
    {
        // A segment may go only if what follows it (the next segment, or the log end) starts at or below the high
        // watermark: all its data is committed. An empty active segment never goes.
        long NextBase(int index) => index + 1 < segments.Count ? segments[index + 1].BaseOffset : logEndOffset;
        int eligible = 0;
        while (eligible < segments.Count && NextBase(eligible) <= highWatermark && (eligible < segments.Count - 1 || segments[eligible].Size > 0))
            eligible++;

        int byStart = 0;
        while (byStart < eligible && NextBase(byStart) <= logStartOffset)
            byStart++;

        int byTime = 0, bySize = 0;
        if (config.Delete)
        {
            if (config.RetentionMs >= 0)
            {
                while (byTime < eligible && nowMs - segments[byTime].LargestTimestamp > config.RetentionMs)
                    byTime++;
            }
            if (config.RetentionBytes >= 0)
            {
                long excess = -config.RetentionBytes;
                // An indexed loop: foreach over the interface would allocate an enumerator on every retention check.
                for (int index = 0; index < segments.Count; index++)
                    excess += segments[index].Size;
                while (bySize < eligible && excess - segments[bySize].Size >= 0)
                {
                    excess -= segments[bySize].Size;
                    bySize++;
                }
            }
        }
        int count = Math.Max(byStart, Math.Max(byTime, bySize));
        RetentionReason reasons = RetentionReason.None;
        if (count > 0)
        {
            if (byTime > 0) reasons |= RetentionReason.Time;
            if (bySize > 0) reasons |= RetentionReason.Size;
            if (byStart > 0) reasons |= RetentionReason.LogStartOffset;
        }
        return (count, reasons);
    }
}
