using System.Collections.Immutable;

namespace Gregor.Broker.Replication;

/// <summary>An ISR change the leader has asked the controller for and not yet seen decided.</summary>
/// <param name="NewIsr">The ISR asked for.</param>
/// <param name="PartitionEpoch">The partition epoch the change was asked against (the controller fences on it).</param>
/// <param name="IsExpansion">An expansion counts its new member in the high watermark at once; a shrink keeps the old ISR until committed.</param>
public sealed record IsrChange(ImmutableArray<int> NewIsr, int PartitionEpoch, bool IsExpansion);

/// <summary>
/// A leader's view of its partition's replicas for one leader epoch, without I/O or clocks (time comes in as
/// <c>nowMs</c>): each follower's fetch state, the ISR as committed and any change in flight, and from them the high
/// watermark and the ISR changes to ask for. While a change is in flight the high watermark counts the maximal ISR
/// (KIP-497: the committed ISR and a member being added), so it never rests on a replica the controller may not keep.
/// Not thread-safe: the partition serialises access.
/// </summary>
public sealed class PartitionReplicas
{
    private FollowerState[] _followers;

    public PartitionReplicas(int leaderId, int leaderEpoch, int partitionEpoch, IReadOnlyList<int> replicas, IReadOnlyList<int> isr,
        long leaderEpochStartOffset, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(isr);
        LeaderId = leaderId;
        LeaderEpoch = leaderEpoch;
        PartitionEpoch = partitionEpoch;
        LeaderEpochStartOffset = leaderEpochStartOffset;
        Isr = [.. isr];
        // A follower in the ISR gets the benefit of the doubt from the start of this epoch; one outside it has never caught up.
        // An ISR member the replicas do not list (an image mid-reassignment) still counts, so it is followed too.
        _followers = [.. replicas.Concat(isr).Where(r => r != leaderId).Distinct().Select(r => new FollowerState(r, Isr.Contains(r) ? nowMs : 0))];
    }

    public int LeaderId { get; }

    public int LeaderEpoch { get; }

    /// <summary>The partition epoch of the ISR this leader last saw committed.</summary>
    public int PartitionEpoch { get; private set; }

    /// <summary>The leader's log end offset when this epoch began: a follower must reach it to join the ISR.</summary>
    public long LeaderEpochStartOffset { get; }

    /// <summary>The ISR as last committed (image or AlterPartition answer).</summary>
    public ImmutableArray<int> Isr { get; private set; }

    /// <summary>The change in flight, or null.</summary>
    public IsrChange? Pending { get; private set; }

    /// <summary>The ISR the high watermark and acks=all count: the committed one, with a member being added.</summary>
    public ImmutableArray<int> MaximalIsr => Pending is { IsExpansion: true } expansion ? expansion.NewIsr : Isr;

    public IReadOnlyList<FollowerState> Followers => _followers;

    public bool IsReplica(int replicaId) => IndexOf(replicaId) >= 0;

    /// <summary>Takes in a follower's fetch; false when <paramref name="replicaId"/> is not a follower of this partition.</summary>
    public bool RecordFetch(int replicaId, long fetchOffset, long leaderLogEndOffset, long nowMs)
    {
        int index = IndexOf(replicaId);
        if (index < 0)
            return false;
        _followers[index].RecordFetch(fetchOffset, leaderLogEndOffset, nowMs);
        return true;
    }

    /// <summary>The smallest log end offset over the maximal ISR, the leader's own included (-1 while a member has not fetched this epoch).</summary>
    public long HighWatermark(long leaderLogEndOffset)
    {
        long lowest = leaderLogEndOffset;
        ImmutableArray<int> isr = MaximalIsr;
        foreach (FollowerState follower in _followers)
        {
            if (isr.Contains(follower.ReplicaId))
                lowest = Math.Min(lowest, follower.LogEndOffset);
        }
        return lowest;
    }

    /// <summary>
    /// Whether the committed ISR (the leader's own count, as KIP-966 has it) is smaller than
    /// <paramref name="minInsyncReplicas"/>, capped at the replicas there are (so one replica alone is never under it).
    /// While under it the high watermark stays put: the members the ISR lost become eligible leader replicas on the
    /// controller, and they can only stand in for the ISR if nothing was committed without them.
    /// </summary>
    public bool IsUnderMinIsr(int minInsyncReplicas) => Isr.Length < Math.Min(minInsyncReplicas, _followers.Length + 1);

    /// <summary>Members of the committed ISR (the leader aside) not caught up within <paramref name="lagTimeMaxMs"/>.</summary>
    public ImmutableArray<int> OutOfSyncReplicas(long leaderLogEndOffset, long nowMs, long lagTimeMaxMs)
    {
        var builder = ImmutableArray.CreateBuilder<int>();
        foreach (FollowerState follower in _followers)
        {
            if (Isr.Contains(follower.ReplicaId) && !follower.IsCaughtUp(leaderLogEndOffset, nowMs, lagTimeMaxMs))
                builder.Add(follower.ReplicaId);
        }
        return builder.ToImmutable();
    }

    /// <summary>
    /// A follower outside the ISR that may join: its log end offset reaches the high watermark and the start of this
    /// leader epoch (so it holds everything this leader may have acknowledged). -1 when there is none.
    /// </summary>
    public int ExpansionCandidate(long highWatermark)
    {
        foreach (FollowerState follower in _followers)
        {
            if (!Isr.Contains(follower.ReplicaId) && follower.LogEndOffset >= 0
                && follower.LogEndOffset >= highWatermark && follower.LogEndOffset >= LeaderEpochStartOffset)
            {
                return follower.ReplicaId;
            }
        }
        return -1;
    }

    /// <summary>
    /// Starts a shrink when a member is out of sync and nothing is in flight; the ISR asked for keeps the leader.
    /// Returns the change to send, or null.
    /// </summary>
    public IsrChange? ProposeShrink(long leaderLogEndOffset, long nowMs, long lagTimeMaxMs)
    {
        if (Pending is not null)
            return null;
        ImmutableArray<int> outOfSync = OutOfSyncReplicas(leaderLogEndOffset, nowMs, lagTimeMaxMs);
        if (outOfSync.IsEmpty)
            return null;
        Pending = new IsrChange([.. Isr.Where(r => !outOfSync.Contains(r))], PartitionEpoch, IsExpansion: false);
        return Pending;
    }

    /// <summary>Starts an expansion when a follower qualifies and nothing is in flight. Returns the change to send, or null.</summary>
    public IsrChange? ProposeExpansion(long highWatermark, long nowMs)
    {
        if (Pending is not null || nowMs < _retryNotBeforeMs)
            return null;
        int candidate = ExpansionCandidate(highWatermark);
        if (candidate < 0)
            return null;
        Pending = new IsrChange([.. Isr, candidate], PartitionEpoch, IsExpansion: true);
        return Pending;
    }

    /// <summary>
    /// An ISR the controller committed (from the image, or an AlterPartition answer) at <paramref name="partitionEpoch"/>;
    /// an older one than this leader has seen is ignored. A newer one ends any change in flight; the same one does not:
    /// every image published re-applies it, and a change the controller refused as based on an old partition epoch
    /// must wait for the newer epoch rather than be asked again at once (which spun on the controller).
    /// </summary>
    public bool ApplyCommittedIsr(IReadOnlyList<int> isr, int partitionEpoch)
    {
        if (partitionEpoch < PartitionEpoch)
            return false;
        if (partitionEpoch == PartitionEpoch && Isr.SequenceEqual(isr))
            return false;
        Isr = [.. isr];
        PartitionEpoch = partitionEpoch;
        Pending = null;
        return true;
    }

    /// <summary>
    /// The change in flight went unanswered (no controller reachable, or its answer lost): the controller may have
    /// committed it, so it stays in flight to be asked again, as Kafka's AlterPartition manager resends until answered.
    /// Dropping an expansion here would let the high watermark pass its new member while the controller may already
    /// list that member in the ISR and elect it. True while it is still this leader's change to ask (an ISR the
    /// controller committed since, or a new leadership, ends it).
    /// </summary>
    public bool KeepUnanswered(IsrChange change) => ReferenceEquals(Pending, change);

    /// <summary>The controller refused the change in flight: the committed ISR stands and a new change may be tried.</summary>
    public void AbandonPending(IsrChange change, long retryNotBeforeMs = 0)
    {
        if (!ReferenceEquals(Pending, change))
            return;
        Pending = null;
        _retryNotBeforeMs = retryNotBeforeMs;
    }

    // An expansion is proposed at a follower's fetch, many times a second: after a refusal (a member the controller
    // finds ineligible until its registration catches up) the next one waits, or the controller is asked at fetch rate.
    private long _retryNotBeforeMs;

    /// <summary>The assignment changed within the leader epoch (a reassignment): keeps known followers' states.</summary>
    public void UpdateReplicas(IReadOnlyList<int> replicas, long nowMs)
    {
        int[] wanted = [.. replicas.Concat(Isr).Where(r => r != LeaderId).Distinct()];
        if (wanted.Length == _followers.Length && _followers.All(f => wanted.Contains(f.ReplicaId)))
            return;
        _followers = [.. wanted.Select(r =>
            IndexOf(r) is int i and >= 0 ? _followers[i] : new FollowerState(r, Isr.Contains(r) ? nowMs : 0))];
    }

    private int IndexOf(int replicaId)
    {
        for (int index = 0; index < _followers.Length; index++)
        {
            if (_followers[index].ReplicaId == replicaId)
                return index;
        }
        return -1;
    }
}
