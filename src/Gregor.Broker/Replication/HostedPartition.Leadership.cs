using System.Collections.Immutable;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Storage;

namespace Gregor.Broker.Replication;

/// <summary>The leader's side of replication: its followers' fetch state, the high watermark, and waiting for the ISR.</summary>
public sealed partial class HostedPartition
{
    // Serialises leadership transitions with the fetcher's appends and truncations, so a new leader's epoch starts at
    // an end offset no follower write moves afterwards.
    private readonly object _transitionLock = new();
    // Guards _leader; taken inside _transitionLock where both are held.
    private readonly object _replicaLock = new();
    private PartitionReplicas? _leader;

    /// <summary>Whether this broker leads the partition now.</summary>
    public bool IsLeader => Volatile.Read(ref _leader) is not null;

    /// <summary>The ISR a state lists; an image with none (written before ISRs existed) means every replica.</summary>
    internal static ImmutableArray<int> IsrOf(PartitionImage state) =>
        !state.Isr.IsDefaultOrEmpty ? state.Isr : state.Replicas.IsDefaultOrEmpty ? [] : state.Replicas;

    /// <summary>Called under both locks; true when waiters must be woken (leadership was lost or changed epoch).</summary>
    private bool ApplyLeadership(PartitionImage? state, long nowMs, bool mayLead)
    {
        bool leads = state is not null && state.Leader == _nodeId && !IsRemoved && mayLead;
        if (!leads)
        {
            bool wasLeader = _leader is not null;
            Volatile.Write(ref _leader, null);
            return wasLeader;
        }
        if (_leader is { } current && current.LeaderEpoch == state!.LeaderEpoch)
        {
            current.ApplyCommittedIsr(IsrOf(state), state.PartitionEpoch);
            current.UpdateReplicas(state.Replicas, nowMs);
            return false;
        }
        bool epochChanged = _leader is not null;
        long startOffset = Log.LogEndOffset;
        BeginLeaderEpoch(state!.LeaderEpoch, startOffset);
        Volatile.Write(ref _leader, new PartitionReplicas(_nodeId, state.LeaderEpoch, state.PartitionEpoch, state.Replicas, IsrOf(state), startOffset, nowMs));
        return epochChanged;
    }

    /// <summary>A new leader epoch starts at <paramref name="startOffset"/>: the log's epoch checkpoint records it.</summary>
    private void BeginLeaderEpoch(int leaderEpoch, long startOffset)
    {
        try
        {
            Log.AssignEpochStartOffset(leaderEpoch, startOffset);
        }
        catch (LogClosedException)
        {
            // Closed under us (deleted, or the broker is stopping): there is nothing to lead.
        }
    }

    private void WakeAllWaiters()
    {
        _waiters.WakeAll();
        _endOffsetWaiters.WakeAll();
    }

    /// <summary>
    /// A fetch from replica <paramref name="replicaId"/> at <paramref name="fetchOffset"/>: recorded as that follower's log end
    /// offset, after which the high watermark may move. NOT_LEADER_OR_FOLLOWER when this broker does not lead or the
    /// replica is not one of the partition's.
    /// </summary>
    public ErrorCode RecordFollowerFetch(int replicaId, long fetchOffset, long nowMs)
    {
        lock (_replicaLock)
        {
            if (_leader is not { } leader || IsRemoved)
                return ErrorCode.NotLeaderOrFollower;
            if (!leader.RecordFetch(replicaId, fetchOffset, Log.LogEndOffset, nowMs))
                return ErrorCode.NotLeaderOrFollower;
        }
        MaybeAdvanceHighWatermark();
        MaybeExpandIsr();
        return ErrorCode.None;
    }

    /// <summary>Whether <paramref name="replicaId"/> is a follower of this partition while this broker leads it.</summary>
    public bool HasFollower(int replicaId)
    {
        lock (_replicaLock)
            return _leader is { } leader && leader.IsReplica(replicaId);
    }

    /// <summary>Runs <paramref name="action"/> on the leader's replica state under its lock; false when this broker does not lead.</summary>
    internal bool WithLeaderState<TState>(TState argument, Action<PartitionReplicas, TState> action)
    {
        lock (_replicaLock)
        {
            if (_leader is not { } leader || IsRemoved)
                return false;
            action(leader, argument);
            return true;
        }
    }

    /// <summary>Wakes <paramref name="waiter"/> once the log end offset reaches <paramref name="offset"/> (a follower's long poll), or leadership changes.</summary>
    public void AddEndOffsetWaiter(HighWatermarkWaiter waiter, long offset)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        if (IsRemoved || !IsLeader)
        {
            waiter.Wake();
            return;
        }
        _endOffsetWaiters.Add(waiter, offset, Log.LogEndOffset);
    }

    public void RemoveEndOffsetWaiter(HighWatermarkWaiter waiter) => _endOffsetWaiters.Remove(waiter);

    /// <summary>
    /// acks=-1: waits until the high watermark reaches <paramref name="offset"/> while this broker still leads at
    /// <paramref name="leaderEpoch"/> (the epoch of the append), up to <paramref name="timeout"/>. NONE once replicated
    /// (NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR is then below min.insync.replicas), NOT_LEADER_OR_FOLLOWER as soon as
    /// leadership is lost (never success: a new leader may not have the records), REQUEST_TIMED_OUT after the timeout.
    /// </summary>
    public Task<ErrorCode> WaitForReplicationAsync(long offset, int leaderEpoch, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        // Already decided (a single replica's append is replicated at once): no state machine, and success is one cached task.
        if (ReplicationOutcome(offset, leaderEpoch) is { } outcome)
            return outcome == ErrorCode.None ? Replicated : Task.FromResult(outcome);
        return WaitForReplicationSlowAsync(offset, leaderEpoch, timeout, time, cancellationToken);
    }

    private static readonly Task<ErrorCode> Replicated = Task.FromResult(ErrorCode.None);

    private async Task<ErrorCode> WaitForReplicationSlowAsync(long offset, int leaderEpoch, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        long deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            if (ReplicationOutcome(offset, leaderEpoch) is { } outcome)
                return outcome;
            long now = time.GetTimestamp();
            if (now >= deadline)
                return ErrorCode.RequestTimedOut;
            TimeSpan remaining = time.GetElapsedTime(now, deadline);
            var waiter = new HighWatermarkWaiter();
            AddWaiter(waiter, offset);
            try
            {
                await waiter.Task.WaitAsync(remaining, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            finally
            {
                RemoveWaiter(waiter);
            }
        }
    }

    /// <summary>The answer an acks=-1 append has now, or null while it must wait.</summary>
    private ErrorCode? ReplicationOutcome(long offset, int leaderEpoch)
    {
        if (IsRemoved || State is not { } state || state.Leader != _nodeId || state.LeaderEpoch != leaderEpoch || !IsLeader)
            return ErrorCode.NotLeaderOrFollower;
        if (Log.HighWatermark < offset)
            return null;
        // Kafka counts the maximal ISR here (a member being added already has the records).
        int inSync;
        lock (_replicaLock)
            inSync = _leader?.MaximalIsr.Length ?? 0;
        return inSync < Settings.MinInsyncReplicas ? ErrorCode.NotEnoughReplicasAfterAppend : ErrorCode.None;
    }
}
