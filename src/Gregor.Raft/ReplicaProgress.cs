namespace Gregor.Raft;

/// <summary>
/// What a leader knows of one replica in its epoch: the end offset it last acknowledged by fetching
/// (−1 before its first fetch), when it last fetched and when it was last caught up — the figures
/// DescribeQuorum reports.
/// </summary>
public sealed record ReplicaProgress(int ReplicaId, bool IsVoter, long EndOffset, long LastFetchTimeMs, long LastCaughtUpTimeMs);
