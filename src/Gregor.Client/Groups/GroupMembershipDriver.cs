using Gregor.Client.Consumer;
using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>
/// Runs a <see cref="GroupMembership"/> over the real transport with the real clock: a background
/// loop asks the state machine what to send, sends it, feeds the answers back, and sleeps until
/// the next thing is due or something happens (an answer, a call from the consumer). The consumer's
/// calls reach the state machine under the same lock. All logic is in the state machine; this only
/// moves bytes and time.
/// </summary>
internal sealed class GroupMembershipDriver : IGroupMembership
{
    private static readonly TimeSpan LongestSleep = TimeSpan.FromSeconds(1);

    private readonly GroupMembership _machine;
    private readonly GroupCallSender _sender;
    private readonly TimeProvider _clock;
    private readonly long _origin;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<GroupCall, Running> _running = [];
    private readonly Task _loop;
    private Exception? _unexpected;

    public GroupMembershipDriver(MembershipSettings settings, MetadataManager metadata)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(metadata);
        var connection = metadata.Pool.Settings;
        _clock = connection.Clock;
        _origin = _clock.GetTimestamp();
        _machine = new GroupMembership(settings, NowMs);
        var coordinatorSettings = connection with { RequestTimeout = settings.JoinTimeout > connection.RequestTimeout ? settings.JoinTimeout : connection.RequestTimeout };
        _sender = new GroupCallSender(metadata, new ConnectionPool(coordinatorSettings));
        _loop = Task.Run(RunAsync);
    }

    private long NowMs => (long)_clock.GetElapsedTime(_origin).TotalMilliseconds;

    /// <summary>
    /// Called (outside the lock, from the background loop) when a rebalance step or an error is waiting for the
    /// consumer's next poll, so that a consumer waiting for records wakes up to carry it out.
    /// </summary>
    public Action? ConsumerWork { get; set; }

    public string GroupId => _machine.Settings.GroupId;

    public string MemberId { get { lock (_gate) return _machine.MemberId; } }

    public int GenerationId { get { lock (_gate) return _machine.GenerationId; } }

    public MembershipState State { get { lock (_gate) return _machine.State; } }

    public bool IsLeader { get { lock (_gate) return _machine.IsLeader; } }

    /// <summary>A rebalance is wanted or under way for this member (e.g. it revoked partitions that are to move).</summary>
    public bool RejoinNeeded { get { lock (_gate) return _machine.RejoinNeeded || _machine.State != MembershipState.Stable; } }

    public string? ProtocolName { get { lock (_gate) return _machine.ProtocolName; } }

    public IReadOnlyCollection<TopicPartition> Assignment { get { lock (_gate) return [.. _machine.Owned]; } }

    /// <summary>The coordinator the member talks to; null while it is unknown (never found, or lost with its connection).</summary>
    public CoordinatorNode? Coordinator { get { lock (_gate) return _machine.Coordinator; } }

    public void Subscribe(IEnumerable<string> topics) => Locked(now => _machine.Subscribe(topics, now));

    public void Subscribe(string pattern) => Locked(now => _machine.Subscribe(pattern, now));

    public void Unsubscribe() => Locked(now => _machine.Unsubscribe(now));

    public RebalanceStep? Poll()
    {
        ThrowIfLoopFailed();
        RebalanceStep? step = null;
        Locked(now => step = _machine.Poll(now));
        return step;
    }

    public void Complete(RebalanceStep step) => Locked(now => _machine.Complete(step, now));

    public GroupMemberIdentity GetCommitIdentity()
    {
        lock (_gate) return _machine.GetCommitIdentity();
    }

    public KafkaException? OnCommitError(WireErrorCode code, GroupMemberIdentity used)
    {
        KafkaException? error = null;
        Locked(now => error = _machine.OnCommitError(code, used, now));
        return error;
    }

    public void BeginClose() => Locked(now => _machine.Close(now));

    public async Task CloseAsync(TimeSpan timeout)
    {
        BeginClose();
        var deadline = _clock.GetUtcNow() + timeout;
        while (State != MembershipState.Closed && _clock.GetUtcNow() < deadline && !_loop.IsCompleted)
            await Task.Delay(TimeSpan.FromMilliseconds(10), _clock).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    private void Locked(Action<long> action)
    {
        lock (_gate) action(NowMs);
        Wake();
    }

    private void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { } // already woken
        catch (ObjectDisposedException) { }
    }

    private void ThrowIfLoopFailed()
    {
        var failure = _loop.IsFaulted ? _loop.Exception!.GetBaseException() : Volatile.Read(ref _unexpected);
        if (failure is not null)
            throw new KafkaException(new Error(ErrorCode.Local_Fatal, "group membership failed: " + failure.Message, isFatal: true), failure);
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        var abandoned = new List<Running>();
        var starting = new List<Running>();
        while (!token.IsCancellationRequested)
        {
            TimeSpan sleep;
            abandoned.Clear();
            starting.Clear();
            lock (_gate)
            {
                long now = NowMs;
                var calls = _machine.NextRequests(now);
                foreach (var (call, running) in _running)
                    if (!_machine.IsInFlight(call)) abandoned.Add(running);
                foreach (var running in abandoned) _running.Remove(running.Call); // handled once
                long? wake = _machine.NextWakeMs(now);
                sleep = wake is null ? LongestSleep : TimeSpan.FromMilliseconds(Math.Clamp(wake.Value - now, 0, LongestSleep.TotalMilliseconds));
                foreach (var call in calls)
                {
                    var running = new Running(call, CancellationTokenSource.CreateLinkedTokenSource(token), _machine.Coordinator);
                    _running[call] = running;
                    starting.Add(running);
                }
            }
            // Calls given up on (closing, a silent coordinator) first: stop waiting, and close the connection the
            // broker may hold them on, before anything new (a LeaveGroup) goes out on a fresh one.
            foreach (var running in abandoned)
            {
                try { await running.Cancel.CancelAsync().ConfigureAwait(false); }
                catch (ObjectDisposedException) { } // it finished meanwhile
                if (running.Call.Lane == GroupLane.Coordinator) await _sender.DropCoordinatorConnectionAsync(running.Coordinator).ConfigureAwait(false);
            }
            foreach (var running in starting) _ = SendAsync(running);
            NotifyConsumer();
            try
            {
                await _wake.WaitAsync(sleep, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>A call on its way, with what it takes to give up on it.</summary>
    private sealed record Running(GroupCall Call, CancellationTokenSource Cancel, CoordinatorNode? Coordinator);

    private async Task SendAsync(Running running)
    {
        await Task.Yield();
        var call = running.Call;
        var coordinator = running.Coordinator;
        var abandon = running.Cancel.Token;
        using var timeout = new CancellationTokenSource(call.Timeout, _clock);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(abandon, timeout.Token);
        var token = both.Token;
        int lowest = _machine.Settings.GroupInstanceId is null ? 0 : 1;
        try
        {
            switch (call)
            {
                case FindCoordinatorCall find:
                    var found = await _sender.FindCoordinatorAsync(find, token).ConfigureAwait(false);
                    Answer(call, now => _machine.OnFindCoordinator(find, found, now));
                    break;
                case MetadataCall metadata:
                    var snapshot = await _sender.MetadataAsync(metadata, token).ConfigureAwait(false);
                    Answer(call, now => _machine.OnMetadata(metadata, snapshot, now));
                    break;
                case JoinGroupCall join:
                    var joined = await _sender.ToCoordinatorAsync<JoinGroupRequest, JoinGroupResponse>(Require(coordinator), join.Request, token, (short)(lowest * 5)).ConfigureAwait(false);
                    Answer(call, now => _machine.OnJoinGroup(join, joined, now));
                    break;
                case SyncGroupCall sync:
                    var synced = await _sender.ToCoordinatorAsync<SyncGroupRequest, SyncGroupResponse>(Require(coordinator), sync.Request, token, (short)(lowest * 3)).ConfigureAwait(false);
                    Answer(call, now => _machine.OnSyncGroup(sync, synced, now));
                    break;
                case HeartbeatCall heartbeat:
                    var beat = await _sender.ToCoordinatorAsync<HeartbeatRequest, HeartbeatResponse>(Require(coordinator), heartbeat.Request, token, (short)(lowest * 3)).ConfigureAwait(false);
                    Answer(call, now => _machine.OnHeartbeat(heartbeat, beat, now));
                    break;
                case LeaveGroupCall leave:
                    var left = await _sender.ToCoordinatorAsync<LeaveGroupRequest, LeaveGroupResponse>(Require(coordinator), leave.Request, token).ConfigureAwait(false);
                    Answer(call, now => _machine.OnLeaveGroup(leave, left, now));
                    break;
                default:
                    throw new InvalidOperationException($"no sender for {call.GetType().Name}");
            }
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            // The membership gave up on this call; nothing to report.
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            if (call.Lane == GroupLane.Coordinator) await _sender.DropCoordinatorConnectionAsync(coordinator).ConfigureAwait(false);
            Answer(call, now => _machine.OnFailure(call, new TimeoutException($"{call.GetType().Name} unanswered after {call.Timeout.TotalMilliseconds} ms"), now));
        }
        catch (Exception e) when (e is BrokerConnectionException or KafkaErrorException or KafkaException or IOException or Gregor.Protocol.Primitives.MalformedMessageException)
        {
            Answer(call, now => _machine.OnFailure(call, e, now));
        }
        catch (BrokerApiUnsupportedException e)
        {
            Answer(call, now => _machine.OnFailure(call, new KafkaException(new Error(ErrorCode.UnsupportedVersion, e.Message), e), now));
        }
        catch (Exception e)
        {
            // A bug, not a broker's doing: the consumer hears of it at its next poll.
            Interlocked.CompareExchange(ref _unexpected, e, null);
        }
        finally
        {
            lock (_gate) _running.Remove(call);
            running.Cancel.Dispose();
            Wake();
            NotifyConsumer();
        }
    }

    private void NotifyConsumer()
    {
        bool work;
        lock (_gate) work = _machine.HasWorkForConsumer;
        if (work) ConsumerWork?.Invoke();
    }

    private static CoordinatorNode Require(CoordinatorNode? coordinator) =>
        coordinator ?? throw new KafkaErrorException(WireErrorCode.CoordinatorNotAvailable, "no coordinator known");

    /// <summary>Hands an outcome to the state machine; in the same lock the call stops counting as running, so the loop never takes a handled call for an abandoned one.</summary>
    private void Answer(GroupCall call, Action<long> handle)
    {
        lock (_gate)
        {
            _running.Remove(call);
            handle(NowMs);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        List<Running> left;
        lock (_gate) left = [.. _running.Values];
        foreach (var running in left)
        {
            try { await running.Cancel.CancelAsync().ConfigureAwait(false); }
            catch (ObjectDisposedException) { }
        }
        await _sender.CoordinatorPool.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
