namespace Gregor.Broker.Replication.Fetching;

/// <summary>
/// One partition a fetcher copies, under one leader epoch: whether it must first truncate (it just became a follower
/// at this epoch), and until when it waits after an error. Replaced, not changed, when the leader epoch changes, so an
/// answer to a request sent for the old one is recognised and dropped. Touched only by its fetcher's loop.
/// </summary>
internal sealed class FollowedPartition(HostedPartition partition, int leaderEpoch)
{
    public HostedPartition Partition { get; } = partition;

    public int LeaderEpoch { get; } = leaderEpoch;

    /// <summary>Must agree with the leader where the logs part before fetching (KIP-101/279).</summary>
    public bool Truncating { get; set; } = true;

    /// <summary>Not fetched before this time (ms): the leader was gone, refused the epoch, or an append failed.</summary>
    public long DelayedUntilMs { get; set; }
}
