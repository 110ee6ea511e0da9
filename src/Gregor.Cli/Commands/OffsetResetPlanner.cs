namespace Gregor.Cli.Commands;

/// <summary>What a partition looks like before a reset: its committed offset, if any, and its log's bounds.</summary>
internal readonly record struct PartitionPosition(long? Committed, long Earliest, long LogEnd, long? AtTimestamp);

/// <summary>
/// Where reset-offsets moves a partition, as kafka-consumer-groups does: earliest or log end as asked; an
/// explicit offset or a shift kept within [earliest, log end]; a time to the first offset at or after it,
/// or the log end when no record is that recent.
/// </summary>
internal static class OffsetResetPlanner
{
    /// <summary>The new offset, or null and why (a shift needs a committed offset to shift).</summary>
    public static long? NewOffset(ResetTarget target, PartitionPosition at, out string? why)
    {
        why = null;
        switch (target.Kind)
        {
            case ResetKind.ToEarliest:
                return at.Earliest;
            case ResetKind.ToLatest:
                return at.LogEnd;
            case ResetKind.ToOffset:
                return Clamp(target.Value, at);
            case ResetKind.ShiftBy:
                if (at.Committed is not { } committed)
                {
                    why = "it has no committed offset to shift";
                    return null;
                }
                long shifted = target.Value >= 0
                    ? (committed > long.MaxValue - target.Value ? long.MaxValue : committed + target.Value)
                    : (committed < long.MinValue - target.Value ? long.MinValue : committed + target.Value);
                return Clamp(shifted, at);
            case ResetKind.ToDatetime:
                return at.AtTimestamp is { } found && found >= 0 ? Clamp(found, at) : at.LogEnd;
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target.Kind, "no such reset");
        }
    }

    private static long Clamp(long offset, PartitionPosition at) => Math.Max(at.Earliest, Math.Min(at.LogEnd, offset));
}
