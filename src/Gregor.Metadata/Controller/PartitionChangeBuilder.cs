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
/// leader is remembered in the last known ELR, as is a member of the ISR or the eligible leaders dropped for an unclean
/// shutdown while the ISR is below min.insync.replicas (KIP-966: either may hold committed records nobody else holds);
/// an election, or an ISR back at min.insync.replicas, forgets them;</item>
/// <item>without them, an ISR that would become empty is left as it was: its last member keeps the partition's record
/// of who has its data;</item>
/// <item>the current leader stays while it is acceptable and a candidate; else the first candidate in replica order
/// leads: an ISR member, or an eligible leader replica when the ISR is empty (it becomes the ISR). Else, when nothing
/// else is left, the unclean recovery's choice among the last known ELR (<see cref="RecoveryLeader"/>), else (unclean
/// election allowed) any acceptable replica; both of these lead uncleanly: the ISR becomes only them and the partition
/// is recovering. Else nobody leads.</item>
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

    /// <summary>The <see cref="UncleanShutdownReplica"/> is leaving the cluster (unregistered): forgotten, not remembered.</summary>
    public bool UncleanShutdownReplicaGone { get; init; }

    /// <summary>Each replica's log end as its broker reported it for this partition, or null (not reported).</summary>
    public Func<int, ReplicaLogEnd?> ReportedLogEnd { get; init; } = _ => null;

    /// <summary>The unclean recovery has waited <c>unclean.recovery.timeout.ms</c>: it chooses among the replicas that reported.</summary>
    public bool RecoveryWaitOver { get; init; }

    /// <summary>The change, or null when nothing would change.</summary>
    public PartitionChangeRecord? Build()
    {
        List<int> isr = [.. TargetIsr];
        List<int> elr = TargetElr(isr);
        List<int> known = TargetLastKnownElr(isr);
        var record = new PartitionChangeRecord { TopicId = topicId, PartitionId = partition.Partition };

        var (leader, unclean) = Elect(isr, elr, known);
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

        // An election forgets them: the new leader holds what is to be kept.
        if (record.Leader >= 0) known.Clear();
        if (policy.EligibleLeaderReplicas && !known.SequenceEqual(partition.LastKnownElr))
            record.LastKnownElr = known;

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

    private (int Leader, bool Unclean) Elect(List<int> isr, List<int> elr, List<int> known)
    {
        bool Candidate(int replica) => (isr.Contains(replica) || (isr.Count == 0 && elr.Contains(replica))) && acceptableLeader(replica);

        if (partition.Leader != NoLeader && Candidate(partition.Leader))
            return (partition.Leader, false);
        foreach (int replica in partition.Replicas)
            if (Candidate(replica)) return (replica, false);
        // Nothing is left of the ISR and the eligible leaders: the replica of the last known ELR with the most of the
        // log leads, uncleanly (KIP-966's unclean recovery).
        if (policy.EligibleLeaderReplicas && isr.Count == 0 && elr.Count == 0 && known.Count > 0
            && RecoveryLeader(known) is var recovered and not NoLeader)
            return (recovered, true);
        if (policy.Election == LeaderElection.Unclean)
            foreach (int replica in partition.Replicas)
                if (acceptableLeader(replica)) return (replica, true);
        return (NoLeader, false);
    }

    /// <summary>
    /// The leader of an unclean recovery from the last known ELR, or none yet. A single member leads as soon as it is
    /// acceptable: nobody else can hold records it lacks (for one replica, it is the partition). Of several, the one
    /// whose log ends latest by (last epoch, log end offset) leads, once every member is acceptable and has reported its
    /// log end (KIP-966's balanced strategy), or, after the wait, the best of those acceptable that have (the first
    /// acceptable if none has); the first in replica order on a tie.
    /// </summary>
    private int RecoveryLeader(List<int> candidates)
    {
        if (candidates.Count == 1)
            return partition.Replicas.Contains(candidates[0]) && acceptableLeader(candidates[0]) ? candidates[0] : NoLeader;
        int best = NoLeader, reported = 0;
        ReplicaLogEnd bestEnd = default;
        foreach (int replica in partition.Replicas)
        {
            if (!candidates.Contains(replica) || !acceptableLeader(replica) || ReportedLogEnd(replica) is not { } end) continue;
            reported++;
            if (best == NoLeader || end > bestEnd) (best, bestEnd) = (replica, end);
        }
        bool heardAll = reported == candidates.Count(partition.Replicas.Contains);
        if (heardAll || (RecoveryWaitOver && reported > 0)) return best;
        // Waited in vain for any report (brokers that do not send them): the first candidate back leads, as Kafka's
        // balanced recovery would have elected the last leader, rather than none for ever.
        return RecoveryWaitOver ? partition.Replicas.FirstOrDefault(r => candidates.Contains(r) && acceptableLeader(r), NoLeader) : NoLeader;
    }

    /// <summary>
    /// With eligible leader replicas on, the last known ELR with <paramref name="isr"/> as the ISR, before any
    /// election: the leader a partition had when its ISR became empty, and each ISR or eligible leader member dropped for
    /// an unclean shutdown, while the ISR stays below min.insync.replicas; an ISR back at min.insync.replicas (it holds
    /// every committed record) forgets them, as does an unregistration the one it names.
    /// </summary>
    private List<int> TargetLastKnownElr(List<int> isr)
    {
        List<int> known = [];
        if (policy.EligibleLeaderReplicas && isr.Count < policy.MinInsyncReplicas)
        {
            known.AddRange(partition.LastKnownElr);
            if (UncleanShutdownReplicaGone)
                known.Remove(UncleanShutdownReplica);
            else if (UncleanShutdownReplica != NoLeader && !known.Contains(UncleanShutdownReplica)
                && (partition.Isr.Contains(UncleanShutdownReplica) || partition.Elr.Contains(UncleanShutdownReplica)))
                known.Add(UncleanShutdownReplica);
            if (isr.Count == 0 && partition.Leader != NoLeader && !known.Contains(partition.Leader))
                known.Add(partition.Leader);
        }
        return known;
    }

    private static bool IsNoOp(PartitionChangeRecord r) =>
        r.Isr is null && r.Leader == ImageFold.NoLeaderChange && r.Replicas is null && r.AddingReplicas is null && r.RemovingReplicas is null
        && r.EligibleLeaderReplicas is null && r.LastKnownElr is null && r.LeaderRecoveryState == ImageFold.NoRecoveryStateChange;
}

/// <summary>What decides a partition's elections: its topic's effective min.insync.replicas and unclean.leader.election.enable, and whether eligible leader replicas are on.</summary>
internal sealed record PartitionPolicy(int MinInsyncReplicas, LeaderElection Election, bool EligibleLeaderReplicas);
