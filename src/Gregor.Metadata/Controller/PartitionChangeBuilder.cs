using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>How a leader may be chosen when the current one cannot go on.</summary>
internal enum LeaderElection
{
    /// <summary>Only from the ISR, or from the eligible leader replicas when the ISR is empty (KIP-966).</summary>
    Online,

    /// <summary>As <see cref="Online"/>, and failing that any active replica, losing what it lacks (<c>unclean.leader.election.enable</c>).</summary>
    Unclean,
}

/// <summary>
/// Works out the one PartitionChangeRecord that takes a partition to a target ISR (and leader recovery state), with the
/// leader, eligible leader replicas and last known leader that follow by Kafka's rules:
/// <list type="bullet">
/// <item>with eligible leader replicas on, an ISR smaller than min.insync.replicas keeps the members it loses as
/// eligible leaders (they hold every committed record, since the high watermark cannot pass an ISR that small) unless
/// they shut down uncleanly; an ISR back at min.insync.replicas clears them. The ISR may then become empty, and the last
/// leader is remembered;</item>
/// <item>without them, an ISR that would become empty is left as it was: its last member keeps the partition's record
/// of who has its data;</item>
/// <item>the current leader stays while it is acceptable and a candidate; else the first candidate in replica order
/// leads: an ISR member, or an eligible leader replica when the ISR is empty (it becomes the ISR). Else the last known
/// leader when nothing else is left, else (unclean election allowed) any acceptable replica; both of these lead
/// uncleanly: the ISR becomes only them and the partition is recovering. Else nobody leads.</item>
/// </list>
/// The epochs are the fold's: a record naming a leader bumps the leader epoch, every record the partition epoch.
/// Reassignment (adding and removing replicas) is not done here and its lists are left as they are.
/// </summary>
internal sealed class PartitionChangeBuilder(KafkaUuid topicId, PartitionImage partition, Func<int, bool> acceptableLeader, PartitionPolicy policy)
{
    private const int NoLeader = -1;

    public IReadOnlyList<int> TargetIsr { get; set; } = partition.Isr;

    public LeaderRecoveryState TargetRecoveryState { get; set; } = partition.LeaderRecoveryState;

    /// <summary>A broker that registered after an unclean shutdown: it may have lost records, so it is no eligible leader.</summary>
    public int UncleanShutdownReplica { get; set; } = NoLeader;

    /// <summary>The change, or null when nothing would change.</summary>
    public PartitionChangeRecord? Build()
    {
        List<int> isr = [.. TargetIsr];
        List<int> elr = TargetElr(isr);
        var record = new PartitionChangeRecord { TopicId = topicId, PartitionId = partition.Partition };

        var (leader, unclean) = Elect(isr, elr);
        if (leader != partition.Leader)
        {
            if (elr.Contains(leader))
            {
                isr = [leader];
                elr.Remove(leader);
            }
            record.Leader = leader;
            if (unclean)
            {
                record.Isr = [leader];
                if (partition.LeaderRecoveryState != LeaderRecoveryState.Recovering)
                    record.LeaderRecoveryState = (sbyte)LeaderRecoveryState.Recovering;
            }
        }

        // An unclean election, or eligible leader replicas turned off, leaves no eligible leaders.
        if (record.Isr is not null || !policy.EligibleLeaderReplicas)
            elr.Clear();
        if (!elr.SequenceEqual(partition.Elr))
            record.EligibleLeaderReplicas = elr;

        if (record.Isr is null && (isr.Count > 0 || policy.EligibleLeaderReplicas) && !isr.SequenceEqual(partition.Isr))
            record.Isr = isr;

        RememberLastLeader(record);

        if (TargetRecoveryState != partition.LeaderRecoveryState)
            record.LeaderRecoveryState = (sbyte)TargetRecoveryState;
        return IsNoOp(record) ? null : record;
    }

    /// <summary>The eligible leader replicas with <paramref name="isr"/> as the ISR, in broker id order.</summary>
    private List<int> TargetElr(List<int> isr)
    {
        if (!policy.EligibleLeaderReplicas) return [.. partition.Elr];
        if (isr.Count >= policy.MinInsyncReplicas) return [];
        return [.. partition.Elr.Concat(partition.Isr)
            .Where(r => !isr.Contains(r) && r != UncleanShutdownReplica)
            .Distinct()
            .Order()];
    }

    private (int Leader, bool Unclean) Elect(List<int> isr, List<int> elr)
    {
        bool Candidate(int replica) => (isr.Contains(replica) || (isr.Count == 0 && elr.Contains(replica))) && acceptableLeader(replica);

        if (partition.Leader != NoLeader && Candidate(partition.Leader))
            return (partition.Leader, false);
        foreach (int replica in partition.Replicas)
            if (Candidate(replica)) return (replica, false);
        // Nothing is left of the ISR and the eligible leaders but the last leader: it leads again, uncleanly (KIP-966).
        if (policy.EligibleLeaderReplicas && isr.Count == 0 && elr.Count == 0
            && partition.LastKnownElr.Length == 1 && acceptableLeader(partition.LastKnownElr[0]))
            return (partition.LastKnownElr[0], true);
        if (policy.Election == LeaderElection.Unclean)
            foreach (int replica in partition.Replicas)
                if (acceptableLeader(replica)) return (replica, true);
        return (NoLeader, false);
    }

    /// <summary>
    /// With eligible leader replicas on, the leader a partition had when its ISR became empty is remembered (in the
    /// last known ELR), and forgotten once the partition has a leader again.
    /// </summary>
    private void RememberLastLeader(PartitionChangeRecord record)
    {
        if (!policy.EligibleLeaderReplicas) return;
        bool remembered = partition.LastKnownElr.Length == 1 && partition.LastKnownElr[0] == partition.Leader;
        if (record.Isr is { Count: 0 } && partition.Leader != NoLeader && !remembered)
            record.LastKnownElr = [partition.Leader];
        else if ((record.Leader >= 0 || (partition.Leader != NoLeader && record.Leader != NoLeader)) && partition.LastKnownElr.Length > 0)
            record.LastKnownElr = [];
    }

    private static bool IsNoOp(PartitionChangeRecord r) =>
        r.Isr is null && r.Leader == ImageFold.NoLeaderChange && r.Replicas is null && r.AddingReplicas is null && r.RemovingReplicas is null
        && r.EligibleLeaderReplicas is null && r.LastKnownElr is null && r.LeaderRecoveryState == ImageFold.NoRecoveryStateChange;
}

/// <summary>What decides a partition's elections: its topic's effective min.insync.replicas and unclean.leader.election.enable, and whether eligible leader replicas are on.</summary>
internal sealed record PartitionPolicy(int MinInsyncReplicas, LeaderElection Election, bool EligibleLeaderReplicas);
