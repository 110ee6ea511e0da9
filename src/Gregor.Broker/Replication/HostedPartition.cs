using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;
using Gregor.Storage;

namespace Gregor.Broker.Replication;

/// <summary>
/// A partition this broker holds a replica of: its log, its place in the current metadata image (leader,
/// epoch, ISR), its topic's settings, and the requests waiting on its high watermark. Its
/// log keeps the partition's idempotent producers' state.
/// </summary>
public sealed partial class HostedPartition
{
    private readonly int _nodeId;
    private readonly HighWatermarkWaiters _waiters = new();
    // Followers' long-polling fetches, waiting for the log end offset (not the high watermark) to pass their offset.
    private readonly HighWatermarkWaiters _endOffsetWaiters = new();
    private PartitionImage? _state;
    private TopicSettings _settings;

    internal HostedPartition(TopicPartition id, KafkaUuid topicId, string logDirectory, PartitionLog log, TopicSettings settings, int nodeId)
    {
        Id = id;
        TopicId = topicId;
        LogDirectory = logDirectory;
        Log = log;
        _settings = settings;
        _nodeId = nodeId;
        log.HighWatermarkChanged += (_, highWatermark) => _waiters.OnHighWatermark(highWatermark);
    }

    public TopicPartition Id { get; }

    /// <summary>The topic id the log belongs to (zero for a log found on disk without partition.metadata).</summary>
    public KafkaUuid TopicId { get; internal set; }

    /// <summary>The <c>log.dirs</c> entry holding the partition directory.</summary>
    public string LogDirectory { get; }

    public PartitionLog Log { get; }

    public TopicSettings Settings => Volatile.Read(ref _settings);

    /// <summary>The partition in the current image; null while the image does not (or no longer) have it.</summary>
    public PartitionImage? State => Volatile.Read(ref _state);

    /// <summary>Set once the log is closed for deletion; requests that still hold the partition get an error.</summary>
    public bool IsRemoved { get; private set; }

    /// <summary>Last stable offset: the high watermark, as there are no transactions whose end is pending.</summary>
    public long LastStableOffset => Log.HighWatermark;

    internal void UpdateSettings(TopicSettings settings)
    {
        Log.UpdateConfig(settings.Log);
        Volatile.Write(ref _settings, settings);
    }

    /// <summary>
    /// Takes the partition's place in a new image: becoming leader (a new leader epoch), staying leader (ISR and
    /// replicas as committed), or ceasing to lead (waiting produces and fetches are woken to answer with an error).
    /// </summary>
    internal void UpdateState(PartitionImage? state, long nowMs, bool mayLead = true)
    {
        bool woken;
        lock (_transitionLock)
        {
            lock (_replicaLock)
            {
                Volatile.Write(ref _state, state);
                woken = ApplyLeadership(state, nowMs, mayLead);
            }
        }
        if (woken)
            WakeAllWaiters();
        MaybeAdvanceHighWatermark();
    }

    internal void MarkRemoved()
    {
        IsRemoved = true;
        Volatile.Write(ref _state, null);
        lock (_replicaLock)
            _leader = null;
        WakeAllWaiters();
    }

    /// <summary>
    /// Whether this broker leads the partition at the epoch the client believes current (-1: the client does
    /// not say). A newer epoch than ours means our metadata is behind; an older one, that the client's is.
    /// </summary>
    public ErrorCode CheckLeader(int currentLeaderEpoch)
    {
        PartitionImage? state = State;
        if (state is null || IsRemoved)
            return ErrorCode.UnknownTopicOrPartition;
        if (currentLeaderEpoch >= 0)
        {
            if (currentLeaderEpoch > state.LeaderEpoch)
                return ErrorCode.UnknownLeaderEpoch;
            if (currentLeaderEpoch < state.LeaderEpoch)
                return ErrorCode.FencedLeaderEpoch;
        }
        return state.Leader == _nodeId ? ErrorCode.None : ErrorCode.NotLeaderOrFollower;
    }

    /// <summary>
    /// The in-sync replicas: as this broker leads them (the ISR last committed, as Kafka checks min.insync.replicas
    /// before an append), else as the image lists them (the replicas, when it lists none).
    /// </summary>
    public int InSyncReplicaCount
    {
        get
        {
            if (Volatile.Read(ref _leader) is { } leader)
            {
                lock (_replicaLock)
                    return leader.Isr.Length;
            }
            PartitionImage? state = State;
            if (state is null)
                return 0;
            return IsrOf(state).Length;
        }
    }

    /// <summary>
    /// As leader, moves the high watermark to the smallest end offset of the in-sync replicas (this broker's log end
    /// offset when it is the only one) and wakes followers' fetches waiting for the log to grow. Called after every
    /// append as leader and every follower fetch. Not while the ISR is under min.insync.replicas (KIP-966): what the
    /// leader alone holds is not committed, so a restart that loses its unflushed tail loses nothing acknowledged.
    /// </summary>
    internal void MaybeAdvanceHighWatermark()
    {
        if (Volatile.Read(ref _leader) is null)
            return;
        lock (_replicaLock)
        {
            if (_leader is not { } leader || IsRemoved)
                return;
            long highWatermark = leader.IsUnderMinIsr(Settings.MinInsyncReplicas) ? -1 : leader.HighWatermark(Log.LogEndOffset);
            if (highWatermark >= 0)
                Log.MaybeIncrementHighWatermark(highWatermark);
        }
        _endOffsetWaiters.OnHighWatermark(Log.LogEndOffset);
    }

    /// <summary>Wakes <paramref name="waiter"/> once the high watermark reaches <paramref name="offset"/> (or the partition is removed).</summary>
    public void AddWaiter(HighWatermarkWaiter waiter, long offset)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        if (IsRemoved)
        {
            waiter.Wake();
            return;
        }
        _waiters.Add(waiter, offset, Log.HighWatermark);
    }

    public void RemoveWaiter(HighWatermarkWaiter waiter) => _waiters.Remove(waiter);

    /// <summary>
    /// Waits until the high watermark reaches <paramref name="offset"/> (acks=-1: every in-sync replica has the
    /// append), up to <paramref name="timeout"/>. Returns whether it did.
    /// </summary>
    public async Task<bool> WaitForHighWatermarkAsync(long offset, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Log.HighWatermark >= offset)
            return true;
        var waiter = new HighWatermarkWaiter();
        AddWaiter(waiter, offset);
        try
        {
            await waiter.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            RemoveWaiter(waiter);
        }
        return !IsRemoved && Log.HighWatermark >= offset;
    }

    public override string ToString() => Id.ToString();
}
