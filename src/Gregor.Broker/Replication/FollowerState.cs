namespace Gregor.Broker.Replication;

/// <summary>
/// What a leader knows of one follower from its fetches (Kafka's replica state): its log end offset (the offset it
/// last fetched from) and when it was last caught up. A follower is caught up at a fetch when it asked for at least
/// the leader's log end offset as of that fetch, or — between fetches — at least the log end offset the leader had at
/// its previous fetch, in which case it was caught up at that previous fetch's time.
/// </summary>
public struct FollowerState
{
    public FollowerState(int replicaId, long lastCaughtUpTimeMs)
    {
        ReplicaId = replicaId;
        LastCaughtUpTimeMs = lastCaughtUpTimeMs;
    }

    public int ReplicaId { get; }

    /// <summary>The follower's log end offset as its last fetch said; -1 until it fetches under this leader epoch.</summary>
    public long LogEndOffset { get; private set; } = -1;

    public long LastCaughtUpTimeMs { get; private set; }

    public long LastFetchTimeMs { get; private set; } = -1;

    /// <summary>The leader's log end offset when the follower last fetched.</summary>
    public long LastFetchLeaderLogEndOffset { get; private set; } = -1;

    /// <summary>Takes in a fetch from <paramref name="fetchOffset"/> while the leader's log ended at <paramref name="leaderLogEndOffset"/>.</summary>
    public void RecordFetch(long fetchOffset, long leaderLogEndOffset, long nowMs)
    {
        if (fetchOffset >= leaderLogEndOffset)
            LastCaughtUpTimeMs = Math.Max(LastCaughtUpTimeMs, nowMs);
        else if (LastFetchTimeMs >= 0 && fetchOffset >= LastFetchLeaderLogEndOffset)
            LastCaughtUpTimeMs = Math.Max(LastCaughtUpTimeMs, LastFetchTimeMs);
        LogEndOffset = fetchOffset;
        LastFetchLeaderLogEndOffset = leaderLogEndOffset;
        LastFetchTimeMs = nowMs;
    }

    /// <summary>In sync by time: at the leader's end, or caught up within <paramref name="lagTimeMaxMs"/>.</summary>
    public readonly bool IsCaughtUp(long leaderLogEndOffset, long nowMs, long lagTimeMaxMs) =>
        LogEndOffset == leaderLogEndOffset || nowMs - LastCaughtUpTimeMs <= lagTimeMaxMs;
}
