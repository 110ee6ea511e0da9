namespace Gregor.Broker.Replication.Fetching;

/// <summary>Where a follower cuts its log, and whether that settles it (false: ask the leader again with its new latest epoch).</summary>
public readonly record struct TruncationDecision(long Offset, bool Completed);

/// <summary>
/// A follower's truncation rule (KIP-101/279), the same for an OffsetForLeaderEpoch answer and for a Fetch answer's
/// diverging epoch. The leader says where the epoch it was asked about ends in its log, as (largest epoch it knows at
/// or below the one asked, end offset). The follower keeps what both logs agree on:
/// <list type="bullet">
/// <item>the leader knows no epoch (end offset -1): cut to the follower's high watermark, all that is known committed;</item>
/// <item>the leader's answer has no epoch: cut to the smaller of its end offset and the follower's log end;</item>
/// <item>the follower has that epoch too: cut to the smaller of the two logs' ends of it (done);</item>
/// <item>the follower has only a smaller epoch: cut to where that one ends in its own log, and ask again (not done);</item>
/// <item>the follower knows no epoch at or below it: cut to the leader's end offset (or its own end, if smaller).</item>
/// </list>
/// Pure: the follower's log is seen through its log end offset, high watermark and a lookup of its own epochs.
/// </summary>
public static class FollowerTruncation
{
    /// <param name="leaderEpoch">The epoch in the leader's answer (-1: none).</param>
    /// <param name="leaderEndOffset">The end offset in the leader's answer (-1: the leader knows no such epoch).</param>
    /// <param name="followerLogEndOffset">The follower's log end offset.</param>
    /// <param name="followerHighWatermark">The follower's high watermark.</param>
    /// <param name="followerEndOffsetForEpoch">The follower's own (largest epoch ≤ asked, end offset), or (-1, -1).</param>
    public static TruncationDecision Decide(int leaderEpoch, long leaderEndOffset, long followerLogEndOffset, long followerHighWatermark,
        Func<int, (int Epoch, long EndOffset)> followerEndOffsetForEpoch)
    {
        ArgumentNullException.ThrowIfNull(followerEndOffsetForEpoch);
        if (leaderEndOffset < 0)
            return new TruncationDecision(Math.Min(followerHighWatermark, followerLogEndOffset), true);
        if (leaderEpoch < 0)
            return new TruncationDecision(Math.Min(leaderEndOffset, followerLogEndOffset), true);
        (int followerEpoch, long followerEndOffset) = followerEndOffsetForEpoch(leaderEpoch);
        if (followerEndOffset < 0 || followerEpoch < 0)
            return new TruncationDecision(Math.Min(leaderEndOffset, followerLogEndOffset), true);
        if (followerEpoch != leaderEpoch)
            return new TruncationDecision(Math.Min(followerEndOffset, followerLogEndOffset), false);
        return new TruncationDecision(Math.Min(Math.Min(followerEndOffset, leaderEndOffset), followerLogEndOffset), true);
    }
}
