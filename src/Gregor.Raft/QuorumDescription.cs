namespace Gregor.Raft;

/// <summary>
/// The quorum as its leader sees it, what DescribeQuorum answers (kafka-metadata-quorum.sh describe --status and
/// --replication): the leader, its epoch and high watermark, and for every voter and observer its log end offset
/// and when it last fetched and was last caught up (milliseconds on the leader's Raft clock; −1 unknown).
/// </summary>
public sealed record QuorumDescription(
    int LeaderId,
    int LeaderEpoch,
    long HighWatermark,
    IReadOnlyList<ReplicaProgress> Voters,
    IReadOnlyList<ReplicaProgress> Observers);
