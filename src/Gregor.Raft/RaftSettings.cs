namespace Gregor.Raft;

/// <summary>
/// The quorum's timing and limits, with Kafka's config names and defaults
/// (<c>controller.quorum.*</c>). All times in milliseconds.
/// </summary>
public sealed record RaftSettings
{
    /// <summary><c>controller.quorum.election.timeout.ms</c>: how long a voter without a leader waits before standing; randomised up to twice this.</summary>
    public int ElectionTimeoutMs { get; init; } = 1000;

    /// <summary><c>controller.quorum.fetch.timeout.ms</c>: how long a follower goes without a successful fetch before it deems the leader lost.</summary>
    public int FetchTimeoutMs { get; init; } = 2000;

    /// <summary><c>controller.quorum.election.backoff.max.ms</c>: the longest random pause after a lost election.</summary>
    public int ElectionBackoffMaxMs { get; init; } = 1000;

    /// <summary><c>controller.quorum.request.timeout.ms</c>: when an unanswered request is sent again.</summary>
    public int RequestTimeoutMs { get; init; } = 2000;

    /// <summary>How long the leader holds a fetch that finds nothing new (Kafka's KRaft uses 500 ms).</summary>
    public int FetchMaxWaitMs { get; init; } = 500;

    /// <summary><c>controller.quorum.fetch.max.bytes</c> style limit on one fetch response's batches.</summary>
    public int FetchMaxBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>The largest piece of a snapshot sent in one FetchSnapshot response.</summary>
    public int SnapshotChunkBytes { get; init; } = 1024 * 1024;

    /// <summary>The largest snapshot a follower accepts (it is held in memory while it arrives).</summary>
    public long MaxSnapshotBytes { get; init; } = 1L << 30;

    internal void Validate()
    {
        if (ElectionTimeoutMs <= 0 || FetchTimeoutMs <= 0 || ElectionBackoffMaxMs <= 0 || RequestTimeoutMs <= 0 || FetchMaxWaitMs < 0)
            throw new ArgumentException("Raft timeouts must be positive");
        if (FetchMaxBytes <= 0 || SnapshotChunkBytes <= 0 || MaxSnapshotBytes <= 0)
            throw new ArgumentException("Raft byte limits must be positive");
    }
}
