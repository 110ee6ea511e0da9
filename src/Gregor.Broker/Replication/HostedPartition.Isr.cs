namespace Gregor.Broker.Replication;

/// <summary>
/// The leader's ISR changes (KIP-497): a shrink when a member lags past <c>replica.lag.time.max.ms</c>, an expansion
/// when a follower catches up, each asked of the controller with AlterPartition by the ISR manager (a cluster's brokers
/// have one; a single node has no followers) and applied when answered or when the image brings it. One at a time.
/// </summary>
public sealed partial class HostedPartition
{
    /// <summary>The replica manager that hosts this partition; its ISR sink (when set) sends the changes this leader asks for.</summary>
    internal ReplicaManager? Manager { get; init; }

    /// <summary>A shrink to ask for now, or null (not leader, nothing lagging, or a change in flight).</summary>
    internal IsrChange? MaybeShrinkIsr(long nowMs, long lagTimeMaxMs)
    {
        if (Manager?.IsrChangeSink is null)
            return null;
        lock (_replicaLock)
            return _leader is { } leader && !IsRemoved ? leader.ProposeShrink(Log.LogEndOffset, nowMs, lagTimeMaxMs) : null;
    }

    /// <summary>After a follower's fetch: asks for an expansion when a follower outside the ISR has caught up.</summary>
    private void MaybeExpandIsr()
    {
        if (Manager is not { IsrChangeSink: { } sink } manager)
            return;
        IsrChange? change;
        lock (_replicaLock)
            change = _leader is { } leader && !IsRemoved ? leader.ProposeExpansion(Log.HighWatermark, manager.NowMs) : null;
        if (change is not null)
            sink(this, change);
    }

    /// <summary>The leader epoch this broker leads at, or -1.</summary>
    internal int LeaderEpochIfLeader
    {
        get
        {
            lock (_replicaLock)
                return _leader?.LeaderEpoch ?? -1;
        }
    }

    /// <summary>The controller committed <paramref name="change"/> (or another ISR) at <paramref name="partitionEpoch"/> for <paramref name="leaderEpoch"/>.</summary>
    internal void ApplyIsrAnswer(int leaderEpoch, IReadOnlyList<int> isr, int partitionEpoch)
    {
        lock (_replicaLock)
        {
            if (_leader is not { } leader || leader.LeaderEpoch != leaderEpoch)
                return;
            leader.ApplyCommittedIsr(isr, partitionEpoch);
        }
        MaybeAdvanceHighWatermark();
    }

    /// <summary>The change went unanswered: true while it is still in flight, to be asked again (<see cref="PartitionReplicas.KeepUnanswered"/>).</summary>
    internal bool IsrChangeUnanswered(IsrChange change)
    {
        lock (_replicaLock)
            return _leader is { } leader && !IsRemoved && leader.KeepUnanswered(change);
    }

    /// <summary>The controller refused the change (a refusal that a retry may fix): the committed ISR stands.</summary>
    internal void AbandonIsrChange(IsrChange change, long retryNotBeforeMs = 0)
    {
        lock (_replicaLock)
            _leader?.AbandonPending(change, retryNotBeforeMs);
    }
}
