using System.Threading.Channels;

namespace Gregor.Raft;

/// <summary>
/// Runs a <see cref="RaftNode"/> for real: one event loop owns the node (so the sans-io core needs no locks), feeds
/// it the monotonic time every <see cref="TickInterval"/> and each arriving message, sends its requests through an
/// <see cref="IRaftTransport"/>, hands its answers back to the inbound RPCs waiting for them, and completes a
/// proposal once the batch is committed in the epoch it was proposed in.
/// </summary>
public sealed class RaftDriver : IAsyncDisposable
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);

    private readonly RaftNode _node;
    private readonly IRaftTransport _transport;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly Action<string>? _log;
    private readonly Channel<Action> _events = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<(int Source, Type Kind), Queue<TaskCompletionSource<RaftMessage>>> _waitingAnswers = [];
    private readonly Dictionary<int, (int Source, TaskCompletionSource<RaftMessage> Answer)> _waitingFetches = [];
    private readonly Dictionary<int, int> _fetchOfSource = [];
    private readonly List<(long LastOffset, int Epoch, TaskCompletionSource<long> Done)> _waitingCommits = [];
    private readonly CancellationTokenSource _stop = new();
    private int _nextFetchId;
    private long _lastHighWatermark = -1;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _lastFailure = new();
    private Task? _loop;

    /// <param name="node">A node created with this driver's clock (<see cref="NowMs"/>; 0 at creation).</param>
    public RaftDriver(RaftNode node, IRaftTransport transport, TimeProvider time, long origin, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(time);
        _node = node;
        _transport = transport;
        _time = time;
        _origin = origin;
        _log = log;
    }

    /// <summary>Milliseconds since the driver's origin: the node's clock, monotonic whatever the wall clock does.</summary>
    public long NowMs => (long)_time.GetElapsedTime(_origin).TotalMilliseconds;

    /// <summary>Called on the loop after the high watermark moved (the loader folds what committed).</summary>
    public event Action<RaftNode>? Committed;

    /// <summary>Called on the loop after a leadership change, with the node's role and epoch.</summary>
    public event Action<RaftNode>? StateChanged;

    /// <summary>The loop: it ends only when disposed, or faults when the core finds an invariant broken (the node must stop).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("the driver runs already");
        _loop = Task.Factory.StartNew(RunAsync, _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Runs <paramref name="read"/> on the loop, where the node may be read safely.</summary>
    public Task<T> ReadAsync<T>(Func<RaftNode, T> read)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try { done.TrySetResult(read(_node)); }
            catch (Exception e) { done.TrySetException(e); }
        });
        return done.Task;
    }

    /// <summary>
    /// An RPC from another node (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch or FetchSnapshot): answered when the
    /// node answers it — at once, or for a fetch held by the leader, when there is news or its wait runs out.
    /// </summary>
    public Task<RaftMessage> HandleAsync(int source, RaftMessage request, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<RaftMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() => answer.TrySetCanceled(cancellationToken));
        Post(() =>
        {
            RaftMessage message = request;
            switch (request)
            {
                case FetchRequest fetch:
                    message = fetch with { CorrelationId = WaitForFetchAnswer(source, answer) };
                    break;
                case FetchSnapshotRequest snapshot:
                    message = snapshot with { CorrelationId = WaitForFetchAnswer(source, answer) };
                    break;
                default:
                    var key = (source, request.GetType());
                    if (!_waitingAnswers.TryGetValue(key, out var queue)) _waitingAnswers[key] = queue = new();
                    queue.Enqueue(answer);
                    break;
            }
            _node.Receive(NowMs, new RaftEnvelope(source, _node.Id, message));
        });
        return answer.Task;
    }

    /// <summary>
    /// A fetcher sends its next fetch only after the last was answered or given up; so an older fetch of the same
    /// source still held by the leader is answered now, with REQUEST_TIMED_OUT, instead of being left waiting.
    /// </summary>
    private int WaitForFetchAnswer(int source, TaskCompletionSource<RaftMessage> answer)
    {
        if (_fetchOfSource.Remove(source, out int older) && _waitingFetches.Remove(older, out var stale))
            stale.Answer.TrySetResult(Unanswered(older));
        int id = ++_nextFetchId;
        _waitingFetches[id] = (source, answer);
        _fetchOfSource[source] = id;
        return id;
    }

    private FetchResponse Unanswered(int id) =>
        new(id, Protocol.ErrorCode.RequestTimedOut, _node.LeaderId, _node.Epoch, -1, [], null, null);

    /// <summary>Appends a batch on the leader and completes with its last offset once committed; fails with <see cref="NotLeaderException"/> otherwise.</summary>
    public Task<long> ProposeAsync(ReadOnlyMemory<byte> payload, int recordCount, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        Post(() =>
        {
            long? lastOffset = _node.Propose(NowMs, payload, recordCount);
            if (lastOffset is null)
            {
                done.TrySetException(new NotLeaderException($"node {_node.Id} does not lead the metadata quorum ({_node.Role}, epoch {_node.Epoch})", _node.LeaderId));
                return;
            }
            _waitingCommits.Add((lastOffset.Value, _node.Epoch, done));
            // The leader flushes and counts itself on a tick; do it now rather than wait for the next one.
            _node.Tick(NowMs);
        });
        return done.Task;
    }

    /// <summary>Resigns leadership (controlled shutdown) and lets the EndQuorumEpoch requests go out.</summary>
    public Task ResignAsync() => ReadAsync(node =>
    {
        node.Resign(NowMs);
        return true;
    });

    private void Post(Action action)
    {
        if (!_events.Writer.TryWrite(action))
        {
            if (_loop is { IsFaulted: true } loop) throw new IOException("the metadata quorum member has stopped", loop.Exception?.InnerException);
            throw new ObjectDisposedException(nameof(RaftDriver));
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await LoopAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The log failed (an append or fsync) or the core found an invariant broken: this member must stop, and
            // nothing waiting on it may be told anything but that.
            _log?.Invoke($"Raft: node {_node.Id} stops: {e.Message}");
            _events.Writer.TryComplete();
            var failure = new IOException($"the metadata quorum member {_node.Id} stopped: {e.Message}", e);
            foreach (var waiting in _waitingFetches.Values) waiting.Answer.TrySetException(failure);
            foreach (var queue in _waitingAnswers.Values)
                foreach (var waiting in queue) waiting.TrySetException(failure);
            foreach (var (_, _, done) in _waitingCommits) done.TrySetException(failure);
            while (_events.Reader.TryRead(out _)) { }
            throw;
        }
    }

    private async Task LoopAsync()
    {
        var reader = _events.Reader;
        long nextTick = 0;
        RaftRole role = _node.Role;
        int epoch = _node.Epoch;
        while (!_stop.IsCancellationRequested)
        {
            long now = NowMs;
            if (now >= nextTick)
            {
                _node.Tick(now);
                nextTick = now + (long)TickInterval.TotalMilliseconds;
            }
            while (reader.TryRead(out var action))
            {
                try
                {
                    action();
                }
                catch (ArgumentException e)
                {
                    // A malformed message from a peer: drop it. The core's broken invariants (InvalidOperationException)
                    // and the log's failures (IOException) stop the loop.
                    _log?.Invoke($"Raft: dropped a message: {e.Message}");
                }
            }
            AfterEvents();
            if (_node.Role != role || _node.Epoch != epoch)
            {
                if (role == RaftRole.Leader)
                {
                    // Fetches the leader held are dropped with its leadership: answer them so no RPC waits forever.
                    foreach (var (id, waiting) in _waitingFetches) waiting.Answer.TrySetResult(Unanswered(id));
                    _waitingFetches.Clear();
                    _fetchOfSource.Clear();
                }
                role = _node.Role;
                epoch = _node.Epoch;
                _log?.Invoke($"Raft: node {_node.Id} is {role} in epoch {epoch} (leader {_node.LeaderId})");
                StateChanged?.Invoke(_node);
            }
            long wait = Math.Max(1, nextTick - NowMs);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromMilliseconds(wait));
                await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private void AfterEvents()
    {
        foreach (var envelope in _node.TakeOutbox())
        {
            switch (envelope.Message)
            {
                case FetchResponse answer:
                    Answer(answer.CorrelationId, answer);
                    break;
                case FetchSnapshotResponse answer:
                    Answer(answer.CorrelationId, answer);
                    break;
                case VoteResponse or BeginQuorumEpochResponse or EndQuorumEpochResponse:
                    var kind = envelope.Message switch
                    {
                        VoteResponse => typeof(VoteRequest),
                        BeginQuorumEpochResponse => typeof(BeginQuorumEpochRequest),
                        _ => typeof(EndQuorumEpochRequest),
                    };
                    if (_waitingAnswers.TryGetValue((envelope.Destination, kind), out var queue) && queue.TryDequeue(out var waiting))
                        waiting.TrySetResult(envelope.Message);
                    break;
                default:
                    _ = SendAsync(envelope);
                    break;
            }
        }
        CompleteCommits();
        if (_node.HighWatermark != _lastHighWatermark)
        {
            _lastHighWatermark = _node.HighWatermark;
            Committed?.Invoke(_node);
        }
    }

    private void Answer(int id, RaftMessage answer)
    {
        if (!_waitingFetches.Remove(id, out var request)) return;
        if (_fetchOfSource.TryGetValue(request.Source, out int current) && current == id) _fetchOfSource.Remove(request.Source);
        request.Answer.TrySetResult(answer);
    }

    private void CompleteCommits()
    {
        if (_waitingCommits.Count == 0) return;
        for (int i = _waitingCommits.Count - 1; i >= 0; i--)
        {
            var (lastOffset, epoch, done) = _waitingCommits[i];
            if (_node.Role == RaftRole.Leader && _node.Epoch == epoch)
            {
                if (_node.HighWatermark <= lastOffset) continue;
                done.TrySetResult(lastOffset);
            }
            else
            {
                // The epoch ended before the batch committed: it may still commit under the next leader, or be cut off.
                done.TrySetException(new NotLeaderException($"node {_node.Id} lost the leadership of epoch {epoch} before offset {lastOffset} committed", _node.LeaderId));
            }
            _waitingCommits.RemoveAt(i);
        }
    }

    private async Task SendAsync(RaftEnvelope envelope)
    {
        try
        {
            RaftMessage? answer = await _transport.SendAsync(envelope.Destination, envelope.Message, _stop.Token).ConfigureAwait(false);
            if (_lastFailure.TryRemove(envelope.Destination, out _)) _log?.Invoke($"Raft: node {envelope.Destination} answers again");
            if (answer is null) return;
            Post(() => _node.Receive(NowMs, new RaftEnvelope(envelope.Destination, _node.Id, answer)));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e)
        {
            // Unreachable peer, refused version, malformed answer: the core resends on its own timeouts. Logged
            // when the reason changes, not at every resend.
            string reason = e.Message;
            if (_lastFailure.TryGetValue(envelope.Destination, out string? last) && last == reason) return;
            _lastFailure[envelope.Destination] = reason;
            _log?.Invoke($"Raft: {envelope.Message.GetType().Name} to node {envelope.Destination} failed: {reason}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _events.Writer.TryComplete();
        if (_loop is not null)
        {
            try { await _loop.ConfigureAwait(false); }
            catch (Exception) { } // a failure was logged and handed to every waiter when the loop stopped
        }
        foreach (var waiting in _waitingFetches.Values) waiting.Answer.TrySetCanceled();
        foreach (var queue in _waitingAnswers.Values)
            foreach (var waiting in queue) waiting.TrySetCanceled();
        foreach (var (_, _, done) in _waitingCommits) done.TrySetCanceled();
        _stop.Dispose();
    }
}
