using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Producer;

/// <summary>
/// The producer's sending side: drains ready batches from the accumulator, sends one Produce
/// request per leader (at most max.in.flight.requests.per.connection outstanding per broker, and as
/// many batches of one partition, each in its own request), and applies the answers: success
/// completes a batch, a retriable error puts it back in its place in its partition for a resend after
/// retry.backoff.ms (refreshing metadata when the leader may have moved), anything else or an
/// exhausted retry budget fails it. A background loop drains when woken (a batch filled, a flush) or
/// when a linger or backoff runs out; a request's answer drains at once on the thread that applied it,
/// so a partition's next batch goes out without waiting for the loop to be scheduled (on a busy machine
/// that wait is milliseconds). A drain that left a batch ready to go (a partition's next one, for the
/// next request) drains again at once. One drain runs at a time: a drain asked for meanwhile is done by
/// the drainer before it lets go.
/// An idempotent producer first gets its producer id (InitProducerId, from any broker; nothing is sent before), has
/// each batch numbered when first sent (<see cref="ProducerIdentity"/>), resends a batch with its number unchanged,
/// takes DUPLICATE_SEQUENCE_NUMBER as the success it reports (the batch was written before), and retries
/// OUT_OF_ORDER_SEQUENCE_NUMBER and UNKNOWN_PRODUCER_ID, bumping the epoch and numbering the batch afresh when the
/// broker really lacks what came before it (KIP-360; <see cref="ProducerIdentity.Judge"/>); a batch refused out of order
/// at or below the partition's last acknowledged sequence fails (and the epoch is bumped), as no resend could be written.
/// A broker without InitProducerId, or a refusal that is not retriable, fails every record (as the Java client's
/// fatal error does).
/// </summary>
internal sealed class ProducerSender : IAsyncDisposable
{
    private readonly ProducerSettings _settings;
    private readonly RecordAccumulator _accumulator;
    private readonly MetadataManager _metadata;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Dictionary<int, int> _inFlight = [];
    private readonly object _inFlightLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<int, bool> _mayUseNode;
    private readonly Task _loop;
    private readonly List<PartitionQueue> _expired = [];
    private Dictionary<int, List<ProducerBatch>> _ready = [];
    private volatile bool _closing;
    private long _retriedBatches;
    private int _draining;
    private int _drainWanted;
    private long _nextLook;
    private long _loopWakesAt = long.MaxValue;
    private readonly ProducerIdentity? _identity;
    private static readonly Func<int, bool> NoNode = _ => false;
    private int _initRunning;
    private long _initNotBefore;
    private volatile FatalError? _fatal;

    public ProducerSender(ProducerSettings settings, RecordAccumulator accumulator, MetadataManager metadata, TimeProvider clock)
    {
        _settings = settings;
        _accumulator = accumulator;
        _metadata = metadata;
        _clock = clock;
        _identity = accumulator.Identity;
        _mayUseNode = MayUseNode;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Why an idempotent producer can send nothing more (null while it can).</summary>
    private sealed record FatalError(WireErrorCode Error, string Message);

    /// <summary>The error that stopped an idempotent producer for good, if one did (tests and diagnostics).</summary>
    public string? FatalMessage => _fatal?.Message;

    /// <summary>How many times a batch was put back for another attempt (for tests and diagnostics).</summary>
    public long RetriedBatches => Interlocked.Read(ref _retriedBatches);

    /// <summary>Tells the loop to look now (a batch filled up, a flush started, an answer came).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount > 0) return;
        try { _wake.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    private bool MayUseNode(int node)
    {
        lock (_inFlightLock) return _inFlight.GetValueOrDefault(node) < _settings.MaxInFlightPerConnection;
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Interlocked.Exchange(ref _loopWakesAt, long.MinValue); // awake: a drain elsewhere need not wake it
            DrainNow();
            long nextLook = Volatile.Read(ref _nextLook);
            Interlocked.Exchange(ref _loopWakesAt, nextLook);
            // A drain elsewhere that found an earlier deadline either saw the loop awake (and so is seen here) or
            // sees the deadline just published and wakes it.
            if (Volatile.Read(ref _nextLook) < nextLook) continue;
            var wait = _clock.GetElapsedTime(_clock.GetTimestamp(), nextLook);
            if (wait < TimeSpan.FromMilliseconds(1)) wait = TimeSpan.FromMilliseconds(1);
            try { await _wake.WaitAsync(wait, token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>
    /// Drains and sends on this thread, unless another thread is draining right now; that one then drains again
    /// before it lets go, so no request to drain is lost.
    /// </summary>
    private void DrainNow()
    {
        Interlocked.Exchange(ref _drainWanted, 1);
        while (Volatile.Read(ref _drainWanted) == 1 && Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            long nextLook;
            try
            {
                if (_closing) return;
                Interlocked.Exchange(ref _drainWanted, 0);
                nextLook = DrainOnce();
                Interlocked.Exchange(ref _nextLook, nextLook); // while still the drainer: the latest drain's answer wins
                // A partition's next batch is ready for another request now: drained again before letting go.
                if (nextLook <= _clock.GetTimestamp()) Interlocked.Exchange(ref _drainWanted, 1);
            }
            finally
            {
                Volatile.Write(ref _draining, 0);
            }
            // A drain off the loop may find a deadline (a new batch's linger, a retry's backoff) before the loop's next look.
            if (nextLook < Volatile.Read(ref _loopWakesAt)) Wake();
        }
    }

    /// <summary>One drain: sends what is ready, fails what expired; returns when to look again. Only the drainer calls it.</summary>
    private long DrainOnce()
    {
        try
        {
            _ready.Clear();
            _expired.Clear();
            if (_fatal is { } fatal)
            {
                _accumulator.FailUnsent(fatal.Error, ErrorCode.Local_Fatal, fatal.Message);
                return _clock.GetTimestamp() + _accumulator.ToTicks(_settings.RetryBackoff);
            }
            Func<int, bool> mayUseNode = _mayUseNode;
            long idLook = long.MaxValue;
            if (_identity is { HasId: false })
            {
                // Nothing goes out without a producer id; the drain still expires what waited too long.
                idLook = EnsureProducerId();
                mayUseNode = NoNode;
            }
            long nextLook = Math.Min(idLook, _accumulator.Drain(_metadata.Current, mayUseNode, _ready, _expired, out bool leaderUnknown));
            if (leaderUnknown) _metadata.RequestRefresh();
            foreach (var queue in _expired) _accumulator.FinishDone(queue);
            if (_ready.Count == 0) return nextLook;
            var ready = _ready;
            _ready = []; // the lists now belong to their requests
            foreach (var (node, batches) in ready)
            {
                lock (_inFlightLock) _inFlight[node] = _inFlight.GetValueOrDefault(node) + 1;
                _ = SendAsync(node, batches);
            }
            return nextLook;
        }
#pragma warning disable CA1031 // the sender must survive anything one drain throws; records then time out
        catch (Exception)
#pragma warning restore CA1031
        {
            return _clock.GetTimestamp() + _accumulator.ToTicks(_settings.RetryBackoff);
        }
    }

    /// <summary>Starts InitProducerId unless it runs or its backoff after a failure does; returns when to look again.</summary>
    private long EnsureProducerId()
    {
        long now = _clock.GetTimestamp();
        long backoff = now + _accumulator.ToTicks(_settings.RetryBackoff);
        if (now < Volatile.Read(ref _initNotBefore)) return Volatile.Read(ref _initNotBefore);
        if (Interlocked.CompareExchange(ref _initRunning, 1, 0) == 0) _ = InitProducerIdAsync();
        return backoff;
    }

    /// <summary>
    /// InitProducerId without a transactional id, to any broker (no coordinator is needed for that). A retriable
    /// error or no answer is tried again after retry.backoff.ms; a broker without the API or another error stops the
    /// producer, as the Java client's fatal errors do.
    /// </summary>
    private async Task InitProducerIdAsync()
    {
        var token = _stop.Token;
        bool failed = true;
        try
        {
            var connection = await _metadata.AnyConnectionAsync(token).ConfigureAwait(false);
            short version = connection.Versions.Highest(ApiKey.InitProducerId);
            var request = new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = _settings.TransactionTimeoutMs };
            var response = await connection.SendAsync<InitProducerIdRequest, InitProducerIdResponse>(request, version, token).ConfigureAwait(false);
            var error = (WireErrorCode)response.ErrorCode;
            if (error == WireErrorCode.None && response.ProducerId >= 0 && response.ProducerEpoch >= 0)
            {
                _identity!.SetIdentity(response.ProducerId, response.ProducerEpoch);
                failed = false;
            }
            else if (error != WireErrorCode.None && !error.IsRetriable())
            {
                _fatal = new FatalError(error, $"InitProducerId failed: {error.KafkaName()}; the idempotent producer cannot send");
            }
        }
        catch (BrokerApiUnsupportedException)
        {
            _fatal = new FatalError(WireErrorCode.UnsupportedVersion,
                "The broker does not support INIT_PRODUCER_ID: it cannot serve an idempotent producer (set enable.idempotence=false)");
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // no answer: asked again after the backoff
        catch (Exception)
#pragma warning restore CA1031
        {
            _metadata.RequestRefresh();
        }
        finally
        {
            if (failed) Volatile.Write(ref _initNotBefore, _clock.GetTimestamp() + _accumulator.ToTicks(_settings.RetryBackoff));
            Volatile.Write(ref _initRunning, 0);
            if (!_closing) DrainNow();
        }
    }

    private async Task SendAsync(int node, List<ProducerBatch> batches)
    {
        var token = _stop.Token; // taken while the source is sure to be alive (it is disposed when the sender closes)
        // Once a batch is resolved it is no longer this request's: put back for a retry, another request may send it;
        // done, another thread may complete and recycle it. So the partitions are noted first, and only the batches not
        // yet resolved (from index `resolved` on) are resolved on a failure.
        var queues = new PartitionQueue[batches.Count];
        for (int i = 0; i < queues.Length; i++) queues[i] = batches[i].Queue;
        int resolved = 0;
        try
        {
            var connection = await _metadata.ConnectionToNodeAsync(node, token).ConfigureAwait(false);
            short version = connection.Versions.Highest(ApiKey.Produce);
            var request = BuildRequest(batches);
            if (_settings.Acks == 0)
            {
                await connection.SendFrameAsync((short)ApiKey.Produce, version, request, expectResponse: false, token).ConfigureAwait(false);
                for (; resolved < batches.Count; resolved++) Resolve(batches[resolved], WireErrorCode.None, null, -1, -1);
                return;
            }
            var response = await connection.SendAsync<ProduceRequest, ProduceResponse>(request, version, token).ConfigureAwait(false);
            Apply(batches, response, ref resolved);
        }
        catch (Exception e)
        {
            // No answer: whether the broker appended is unknown, so a retry may duplicate (as in Kafka without idempotence).
            WireErrorCode code = e switch
            {
                BrokerConnectionException c => c.Code,
                KafkaErrorException k => k.Code,
                OperationCanceledException => WireErrorCode.NetworkException,
                BrokerApiUnsupportedException => WireErrorCode.UnsupportedVersion,
                _ => WireErrorCode.UnknownServerError,
            };
            _metadata.RequestRefresh();
            for (; resolved < batches.Count; resolved++) Resolve(batches[resolved], code, e.Message, -1, -1);
        }
        finally
        {
            // The partitions and the request slot are free again before the records' callbacks run (thousands of them
            // for a full batch), so the next request is on its way meanwhile.
            lock (_inFlightLock) _inFlight[node]--;
            if (!_closing) DrainNow();
            else Wake();
            foreach (var queue in queues) _accumulator.FinishDone(queue);
        }
    }

    private ProduceRequest BuildRequest(List<ProducerBatch> batches)
    {
        var request = new ProduceRequest { Acks = _settings.Acks, TimeoutMs = (int)Math.Min(int.MaxValue, _settings.Connection.RequestTimeout.TotalMilliseconds) };
        foreach (var batch in batches)
        {
            ProduceRequest.TopicProduceData? topic = null;
            foreach (var t in request.TopicData)
                if (t.Name == batch.Topic) topic = t;
            if (topic is null) request.TopicData.Add(topic = new ProduceRequest.TopicProduceData { Name = batch.Topic });
            topic.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = batch.Partition, Records = batch.Built() });
        }
        return request;
    }

    private void Apply(List<ProducerBatch> batches, ProduceResponse response, ref int resolved)
    {
        for (; resolved < batches.Count; resolved++)
        {
            var batch = batches[resolved];
            ProduceResponse.PartitionProduceResponse? answer = null;
            foreach (var topic in response.Responses)
                if (topic.Name == batch.Topic)
                    foreach (var p in topic.PartitionResponses)
                        if (p.Index == batch.Partition) answer = p;
            if (answer is null)
            {
                Resolve(batch, WireErrorCode.UnknownServerError, "the broker's answer left this partition out", -1, -1);
                continue;
            }
            Resolve(batch, (WireErrorCode)answer.ErrorCode, answer.ErrorMessage, answer.BaseOffset, answer.LogAppendTimeMs, answer.LogStartOffset);
        }
    }

    /// <summary>
    /// Decides a batch's fate from its answer: done (success, or a failure for good), recorded as its outcome (the
    /// records are completed afterwards, in the partition's order, by <see cref="RecordAccumulator.FinishDone"/>), or put
    /// back for a retry.
    /// </summary>
    private void Resolve(ProducerBatch batch, WireErrorCode error, string? message, long baseOffset, long logAppendTime, long logStartOffset = -1)
    {
        // A batch the broker already has (an earlier attempt was written, its answer lost) is a success.
        if (error == WireErrorCode.None || (error == WireErrorCode.DuplicateSequenceNumber && _identity is not null))
        {
            if (_identity is not null) RecordAccumulator.Acknowledged(batch);
            Done(batch, new BatchOutcome(baseOffset, logAppendTime, WireErrorCode.None, null, null));
            return;
        }
        if (error == WireErrorCode.UnknownProducerId && _identity is not null) RecordAccumulator.StateLost(batch);
        var refusal = _identity is not null ? RecordAccumulator.JudgeRefusal(batch, error, logStartOffset) : SequenceRefusal.NotASequenceError;
        if (refusal == SequenceRefusal.FailAndBumpEpoch)
        {
            // Refused below what the broker acknowledged: no resend can be written; failing it (which bumps the epoch,
            // see Fail) lets the partition go on from sequence 0.
            Fail(batch, new BatchOutcome(-1, -1, error, null, message ?? error.KafkaName()));
            return;
        }
        if (refusal == SequenceRefusal.BumpEpochAndRenumber)
        {
            // The broker lacks what came before this batch (KIP-360): a new epoch, and the partition's batches not yet done
            // resent from sequence 0 in order, this one first.
            _identity!.BumpEpoch(batch.ProducerId, batch.ProducerEpoch);
            RecordAccumulator.RestartSequence(batch);
        }
        if (error is WireErrorCode.NotLeaderOrFollower or WireErrorCode.UnknownTopicOrPartition or WireErrorCode.LeaderNotAvailable
            or WireErrorCode.NetworkException or WireErrorCode.RequestTimedOut or WireErrorCode.FencedLeaderEpoch or WireErrorCode.KafkaStorageError)
            _metadata.RequestRefresh();
        if ((refusal != SequenceRefusal.NotASequenceError || error.IsRetriable()) && !_closing && _accumulator.HasAttemptsLeft(batch))
        {
            if (_accumulator.HasTimeLeft(batch))
            {
                Interlocked.Increment(ref _retriedBatches);
                _accumulator.Retry(batch);
                return;
            }
            // Out of time rather than out of attempts: reported as a timeout, as librdkafka does.
            Fail(batch, new BatchOutcome(-1, -1, error, ErrorCode.Local_MsgTimedOut,
                $"not delivered within delivery.timeout.ms ({_settings.DeliveryTimeout.TotalMilliseconds} ms); last error: {message ?? error.KafkaName()}"));
            return;
        }
        Fail(batch, new BatchOutcome(-1, -1, error, null, message ?? error.KafkaName()));
    }

    /// <summary>
    /// Fails a batch for good. An idempotent producer's batch that was numbered leaves its sequences behind it, written
    /// or not: the partition's numbering starts again (see <see cref="RecordAccumulator.VoidNumbering"/>) so the next
    /// batch is not refused for the gap.
    /// </summary>
    private void Fail(ProducerBatch batch, BatchOutcome outcome)
    {
        if (_identity is not null)
        {
            // Out of attempts or time on a retriable error, the batch may have been written, and the ones after it too:
            // their numbers stand until their answers tell (unresolved). A refusal is definite: nothing after it was written.
            if (outcome.Error.IsRetriable() || outcome.LocalError == ErrorCode.Local_MsgTimedOut) RecordAccumulator.MarkUnresolved(batch);
            else _accumulator.VoidNumbering(batch, bumpEpoch: outcome.Error != WireErrorCode.UnknownProducerId);
        }
        Done(batch, outcome);
    }

    private static void Done(ProducerBatch batch, BatchOutcome outcome) => RecordAccumulator.Complete(batch, outcome);

    /// <summary>Stops sending; batches still in flight get their answers first (bounded by the request timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        _closing = true;
        // A drain that began before it saw the flag finishes starting its requests while their token is still good.
        var spin = new SpinWait();
        while (Volatile.Read(ref _draining) != 0) spin.SpinOnce();
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
