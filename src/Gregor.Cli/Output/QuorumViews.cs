using Gregor.Client;
using Gregor.Client.Admin;

namespace Gregor.Cli.Output;

/// <summary>A broker as <c>gregor cluster describe</c> shows it.</summary>
internal sealed record ClusterBrokerView(int Id, string Host, int Port, string? Rack, bool Fenced, bool IsController);

/// <summary>
/// What <c>gregor cluster describe</c> shows: every registered broker (fenced ones too when
/// <see cref="FencedBrokersIncluded"/>) and the active controller, found as <see cref="ControllerSource"/> says.
/// </summary>
internal sealed record ClusterDescriptionView(string? ClusterId, int ControllerId, IReadOnlyList<ClusterBrokerView> Brokers,
    string ControllerSource, bool FencedBrokersIncluded)
{
    /// <summary>The controller is the metadata quorum's leader (DescribeQuorum).</summary>
    public const string FromMetadataQuorum = "metadataQuorum";

    /// <summary>The controller is the one DescribeCluster names (the quorum could not be described).</summary>
    public const string FromDescribeCluster = "describeCluster";
}

/// <summary>A voter or observer of the metadata quorum and where it is reached (<c>NAME://host:port</c>; none known for observers).</summary>
internal sealed record QuorumMemberView(int Id, IReadOnlyList<string> Endpoints);

/// <summary>What kafka-metadata-quorum describe --status shows.</summary>
internal sealed record QuorumStatusView(string? ClusterId, int LeaderId, int LeaderEpoch, long HighWatermark, long MaxFollowerLag,
    long MaxFollowerLagTimeMs, IReadOnlyList<QuorumMemberView> CurrentVoters, IReadOnlyList<QuorumMemberView> CurrentObservers);

/// <summary>One row of kafka-metadata-quorum describe --replication; the timestamps are Unix ms, null when the leader does not know them.</summary>
internal sealed record QuorumReplicationView(int NodeId, long LogEndOffset, long Lag, long? LastFetchTimestamp, long? LastCaughtUpTimestamp, string Status);

/// <summary>The figures kafka-metadata-quorum derives from a DescribeQuorum answer, computed the same way.</summary>
internal static class QuorumViews
{
    public static QuorumStatusView Status(string? clusterId, QuorumInfo quorum)
    {
        var leader = Leader(quorum);
        // The voter furthest behind; the leader itself when no follower is behind it.
        var laggiest = quorum.Voters.OrderBy(v => v.LogEndOffset).ThenBy(v => v.ReplicaId == leader.ReplicaId ? 0 : 1).First();
        long lagTimeMs = laggiest.ReplicaId == leader.ReplicaId ? 0
            : leader.LastCaughtUpTimestamp is { } leaderCaughtUp && laggiest.LastCaughtUpTimestamp is { } followerCaughtUp ? leaderCaughtUp - followerCaughtUp
            : -1;
        return new QuorumStatusView(clusterId, quorum.LeaderId, quorum.LeaderEpoch, quorum.HighWatermark, Lag(leader, laggiest), lagTimeMs,
            [.. quorum.Voters.Select(v => Member(quorum, v))], [.. quorum.Observers.Select(o => Member(quorum, o))]);
    }

    /// <summary>The leader, then the other voters, then the observers (each by id), as kafka-metadata-quorum lists them.</summary>
    public static IReadOnlyList<QuorumReplicationView> Replication(QuorumInfo quorum)
    {
        var leader = Leader(quorum);
        QuorumReplicationView Row(QuorumReplicaState r, string status) =>
            new(r.ReplicaId, r.LogEndOffset, Lag(leader, r), r.LastFetchTimestamp, r.LastCaughtUpTimestamp, status);
        return
        [
            Row(leader, "Leader"),
            .. quorum.Voters.Where(v => v.ReplicaId != leader.ReplicaId).OrderBy(v => v.ReplicaId).Select(v => Row(v, "Follower")),
            .. quorum.Observers.OrderBy(o => o.ReplicaId).Select(o => Row(o, "Observer")),
        ];
    }

    private static QuorumReplicaState Leader(QuorumInfo quorum) =>
        quorum.Voters.FirstOrDefault(v => v.ReplicaId == quorum.LeaderId)
        ?? throw new KafkaException(new Error(ErrorCode.Local_BadMsg, $"the quorum's leader {quorum.LeaderId} is not among its voters"));

    // A replica whose end offset the leader does not know yet (-1) lags by the leader's whole log.
    private static long Lag(QuorumReplicaState leader, QuorumReplicaState replica) => leader.LogEndOffset - Math.Max(0, replica.LogEndOffset);

    private static QuorumMemberView Member(QuorumInfo quorum, QuorumReplicaState replica) =>
        new(replica.ReplicaId, quorum.Nodes.TryGetValue(replica.ReplicaId, out var node) ? [.. node.Endpoints.Select(e => e.ToString())] : []);
}
