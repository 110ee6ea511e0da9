using System.Collections.Concurrent;
using Gregor.Client.Metadata;
using Gregor.Net;

namespace Gregor.Client.Consumer;

/// <summary>An error Consume throws, with the partition and offset it concerns (none for a client-wide one).</summary>
internal sealed record ConsumeError(TopicPartition? Partition, long Offset, Error Error);

/// <summary>
/// Everything of a consumer that does not depend on its key and value types: the assigned partitions and their
/// positions (behind one lock, <see cref="Gate"/>), the background <see cref="Fetcher"/>, the batch being
/// consumed, committed offsets and offset lookups. The typed <see cref="Consumer{TKey, TValue}"/> on top only
/// deserializes. Work that must run on the thread calling Consume (error handler calls, rebalance steps) is
/// queued with <see cref="PostToConsumeThread"/> or done by <see cref="ConsumeHook"/>.
/// </summary>
/// <remarks>
/// Group membership (<see cref="ConsumerGroupMember"/>) plugs in here: its <see cref="ConsumeHook"/> carries out
/// rebalance steps on the consume thread (so rebalance handlers run inside Consume, as in Java and
/// Confluent.Kafka), changing the assignment with <see cref="AddAssigned"/> and <see cref="RemoveAssigned"/>, and it
/// sets <see cref="Identity"/> so commits carry its generation and member id.
/// </remarks>
internal sealed partial class ConsumerCore : IDisposable
{
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
    private readonly List<PartitionState> _order = [];
    private readonly Queue<ConsumeError> _errors = new();
    private readonly ConcurrentQueue<Action> _consumeThreadWork = new();
    private readonly SemaphoreSlim _consumeSignal = new(0, 1);
    private readonly ConnectionPool _pool;
    private readonly ConnectionPool _fetchPool;
    private readonly RecordBatchDecoder _decoder;
    private readonly Fetcher _fetcher;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _autoCommit;
    private int _consumeOwner;
    private int _closing;
    private int _closed;
    private int _disposed;

    public ConsumerCore(ConsumerSettings settings, TimeProvider clock)
    {
        Settings = settings;
        Clock = clock;
        var connection = settings.Connection with { Clock = clock };
        _pool = new ConnectionPool(connection);
        // Fetches get connections of their own: a broker answers a connection's requests one at a time, and a
        // long-polling fetch would hold up commits and offset lookups queued behind it.
        _fetchPool = new ConnectionPool(connection);
        Metadata = new MetadataManager(settings.Bootstrap, _pool, settings.MetadataMaxAge, settings.RetryBackoff, settings.AllowAutoTopicCreation);
        ListOffsets = new ListOffsetsClient(Metadata, clock, settings.RetryBackoff);
        if (settings.GroupId is { } group)
        {
            var coordinator = new GroupCoordinatorClient(group, Metadata, _pool, settings.RetryBackoff, TimeSpan.FromSeconds(1), clock);
            GroupOffsets = new GroupOffsetsClient(coordinator, clock, settings.RetryBackoff);
        }
        _decoder = new RecordBatchDecoder(settings.CheckCrcs, settings.MaxDecompressedBatchBytes);
        _fetcher = new Fetcher(this, _fetchPool);
        _autoCommit = settings.EnableAutoCommit ? AutoCommitLoopAsync() : Task.CompletedTask;
    }

    public ConsumerSettings Settings { get; }

    public TimeProvider Clock { get; }

    public MetadataManager Metadata { get; }

    public ListOffsetsClient ListOffsets { get; }

    /// <summary>Committed offsets; null without a group.id.</summary>
    public GroupOffsetsClient? GroupOffsets { get; }

    /// <summary>The lock over every partition's state and the error queue.</summary>
    public object Gate { get; } = new();

    /// <summary>Assigned partitions in assignment order (under <see cref="Gate"/>).</summary>
    public IReadOnlyList<PartitionState> Partitions => _order;

    /// <summary>Who commits: standalone until group membership sets itself here.</summary>
    public IGroupMemberIdentityProvider Identity { get; set; } = StandaloneMember.Instance;

    /// <summary>Dispose without Close neither commits nor tells anyone (a group member: as Confluent.Kafka's Dispose).</summary>
    public bool AbandonOnDispose { get; set; }

    /// <summary>Called on the consume thread with client-wide errors (the error handler), if set.</summary>
    public Action<Error>? ErrorHandler { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Close has begun: Consume returns no more records (the final revocation may still be under way).</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0 || IsClosed;

    /// <summary>Stops Consume from returning more records; what is left of closing happens on the closing thread.</summary>
    public void BeginClosing()
    {
        Volatile.Write(ref _closing, 1);
        WakeConsumer();
    }

    /// <summary>Claims the consume thread for the calling thread; false when another thread is inside Consume (or this one already is).</summary>
    public bool TryEnterConsume() => Interlocked.CompareExchange(ref _consumeOwner, Environment.CurrentManagedThreadId, 0) == 0;

    public void ExitConsume() => Volatile.Write(ref _consumeOwner, 0);

    /// <summary>The calling thread is inside Consume (e.g. a rebalance handler is running on it).</summary>
    public bool OnConsumeThread => Volatile.Read(ref _consumeOwner) == Environment.CurrentManagedThreadId;

    /// <summary>Runs an action on the thread calling Consume, before it looks for records (waking it if it waits).</summary>
    public void PostToConsumeThread(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _consumeThreadWork.Enqueue(action);
        WakeConsumer();
    }

    /// <summary>
    /// Called on the consume thread at every pass of Consume, before records are looked for: where group
    /// membership polls its rebalance steps (and restarts max.poll.interval.ms). Exceptions surface from Consume.
    /// </summary>
    public Action? ConsumeHook { get; set; }

    /// <summary>Runs what was posted to the consume thread, then the consume hook; called by Consume.</summary>
    public void RunConsumeThreadWork()
    {
        while (_consumeThreadWork.TryDequeue(out var action)) action();
        ConsumeHook?.Invoke();
    }

    /// <summary>Reports a client-wide error to the error handler, on the consume thread.</summary>
    public void ReportError(Error error)
    {
        if (ErrorHandler is { } handler) PostToConsumeThread(() => handler(error));
    }

    /// <summary>Queues an error for Consume to throw (caller holds <see cref="Gate"/>).</summary>
    public void QueueConsumeError(TopicPartition? partition, long offset, ErrorCode code, string reason)
    {
        _errors.Enqueue(new ConsumeError(partition, offset, new Error(code, reason)));
        WakeConsumer();
    }

    /// <summary>Reports a partition's error once per run of failures (caller holds <see cref="Gate"/>).</summary>
    public void QueueConsumeErrorOnce(PartitionState partition, ErrorCode code, string reason)
    {
        if (partition.ReportedError == code) return;
        partition.ReportedError = code;
        QueueConsumeError(partition.TopicPartition, partition.FetchPosition, code, reason);
    }

    public void WakeConsumer()
    {
        if (_consumeSignal.CurrentCount > 0) return;
        try { _consumeSignal.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    public void WakeFetcher() => _fetcher.Wake();

    /// <summary>Waits until something may have become consumable, the timeout, or cancellation.</summary>
    public void WaitForWork(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero) return;
        _consumeSignal.Wait(timeout, cancellationToken);
    }

    public long Now => Clock.GetTimestamp();

    public long After(TimeSpan delay) => Clock.GetTimestamp() + (long)(delay.TotalSeconds * Clock.TimestampFrequency);

    /// <summary>The assigned partition, or a KafkaException naming it (caller holds <see cref="Gate"/>).</summary>
    private PartitionState Assigned(TopicPartition partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        return _partitions.TryGetValue(partition, out var state)
            ? state
            : throw new KafkaException(new Error(ErrorCode.Local_UnknownPartition, $"{partition.Topic} [{partition.Partition.Value}] is not assigned to this consumer"));
    }

    /// <summary>
    /// Commits stored offsets if auto-commit is on and <paramref name="finalCommit"/>, stops fetching and releases
    /// the assignment. Blocks at most default.api.timeout.ms for the final commit.
    /// </summary>
    public void Close(bool finalCommit = true)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        Volatile.Write(ref _closing, 1);
        _stopping.Cancel();
        try { _autoCommit.GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { }
        if (Settings.EnableAutoCommit && finalCommit) CommitDirtyQuietly();
        _fetcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        lock (Gate)
        {
            foreach (var p in _order)
            {
                p.Removed = true;
                p.DropBuffered();
            }
            _partitions.Clear();
            _order.Clear();
        }
        WakeConsumer();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Close(finalCommit: !AbandonOnDispose);
        DropCurrentBatch();
        Metadata.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _fetchPool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _decoder.Dispose();
        _commitGate.Dispose();
        _stopping.Dispose();
    }
}
