using Gregor.Storage;

namespace Gregor.Broker.Replication;

/// <summary>
/// The follower's side of replication: the replica fetcher's appends, truncations and offsets, each applied only while
/// this broker still follows the partition at the leader epoch the fetcher fetched under (under the append lock, so a
/// transition to leader never interleaves with a follower's write).
/// </summary>
public sealed partial class HostedPartition
{
    /// <summary>Whether this broker follows the partition (a replica, another broker leading) at <paramref name="leaderEpoch"/>.</summary>
    public bool IsFollowerAt(int leaderEpoch) =>
        !IsRemoved && State is { } state && state.Leader >= 0 && state.Leader != _nodeId && state.LeaderEpoch == leaderEpoch;

    /// <summary>Appends batches fetched from the leader as they came; null (nothing written) when no longer following at the epoch.</summary>
    internal LogAppendResult? AppendAsFollower(ReadOnlySpan<byte> records, int leaderEpoch)
    {
        lock (_transitionLock)
        {
            if (!IsFollowerAt(leaderEpoch))
                return null;
            return Log.AppendReplicated(records);
        }
    }

    /// <summary>Cuts the log back to <paramref name="offset"/> (the end of what the leader's log shares); false when no longer following.</summary>
    internal bool TruncateAsFollower(long offset, int leaderEpoch)
    {
        lock (_transitionLock)
        {
            if (!IsFollowerAt(leaderEpoch))
                return false;
            Log.Truncate(offset);
            return true;
        }
    }

    /// <summary>Empties the log and restarts it at <paramref name="offset"/> (the leader's log start passed this log's end).</summary>
    internal bool TruncateFullyAsFollower(long offset, int leaderEpoch)
    {
        lock (_transitionLock)
        {
            if (!IsFollowerAt(leaderEpoch))
                return false;
            Log.TruncateFullyAndStartAt(offset);
            return true;
        }
    }

    /// <summary>
    /// A fetch answer's offsets: the follower's high watermark is the leader's, as far as this log reaches; its log start
    /// follows the leader's (never past its own high watermark).
    /// </summary>
    internal void UpdateFollowerOffsets(long leaderHighWatermark, long leaderLogStartOffset, int leaderEpoch)
    {
        lock (_transitionLock)
        {
            if (!IsFollowerAt(leaderEpoch))
                return;
            if (leaderHighWatermark >= 0)
                Log.UpdateHighWatermark(Math.Min(leaderHighWatermark, Log.LogEndOffset));
            long start = Math.Min(leaderLogStartOffset, Log.HighWatermark);
            if (start > Log.LogStartOffset)
                Log.IncreaseLogStartOffset(start);
        }
    }
}
