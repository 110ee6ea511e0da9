using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Producer;

/// <summary>
/// The producer's sending side: drains ready batches from the accumulator, sends one Produce
/// request per leader (at most max.in.flight.requests.per.connection outstanding per broker), and
/// applies the answers: success completes a batch, a retriable error puts it back at the head of
/// its partition for a resend after retry.backoff.ms (refreshing metadata when the leader may have
/// moved), anything else or an exhausted retry budget fails it. A background loop drains when woken
/// (a batch filled, a flush) or when a linger or backoff runs out; a request's answer drains at once on
/// the thread that applied it, so a partition's next batch goes out without waiting for the loop to be
/// scheduled (on a busy machine that wait is milliseconds, and a partition has one batch in flight).
/// One drain runs at a time: a drain asked for meanwhile is done by the drainer before it lets go.
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
    private readonly List<ProducerBatch> _expired = [];
    private Dictionary<int, List<ProducerBatch>> _ready = [];
    private volatile bool _closing;
    private long _retriedBatches;
    private int _draining;
    private int _drainWanted;
    private long _nextLook;
    private long _loopWakesAt = long.MaxValue;

    public ProducerSender(ProducerSettings settings, RecordAccumulator accumulator, MetadataManager metadata, TimeProvider clock)
    {
        _settings = settings;
        _accumulator = accumulator;
        _metadata = metadata;
        _clock = clock;
        _mayUseNode = MayUseNode;
        _loop = Task.Run(RunAsync);
    }

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
            long nextLook = _accumulator.Drain(_metadata.Current, _mayUseNode, _ready, _expired, out bool leaderUnknown);
            if (leaderUnknown) _metadata.RequestRefresh();
            foreach (var batch in _expired)
                _accumulator.Finish(batch, -1, -1, WireErrorCode.None, ErrorCode.Local_MsgTimedOut,
                    $"not delivered within delivery.timeout.ms ({_settings.DeliveryTimeout.TotalMilliseconds} ms)");
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

    private async Task SendAsync(int node, List<ProducerBatch> batches)
    {
        var token = _stop.Token; // taken while the source is sure to be alive (it is disposed when the sender closes)
        // Batches this request put back for a retry are no longer its own: another request may send, finish and even
        // recycle them before this one's finally runs, so they are left out of what it finishes (by reference).
        List<ProducerBatch>? retried = null;
        try
        {
            var connection = await _metadata.ConnectionToNodeAsync(node, token).ConfigureAwait(false);
            short version = connection.Versions.Highest(ApiKey.Produce);
            var request = BuildRequest(batches);
            if (_settings.Acks == 0)
            {
                await connection.SendFrameAsync((short)ApiKey.Produce, version, request, expectResponse: false, token).ConfigureAwait(false);
                foreach (var batch in batches) Resolve(batch, WireErrorCode.None, null, -1, -1, ref retried);
                return;
            }
            var response = await connection.SendAsync<ProduceRequest, ProduceResponse>(request, version, token).ConfigureAwait(false);
            Apply(batches, response, ref retried);
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
            foreach (var batch in batches)
                if (batch.Outcome is null && retried?.Contains(batch) != true) Resolve(batch, code, e.Message, -1, -1, ref retried);
        }
        finally
        {
            // The partitions and the request slot are free again before the records' callbacks run (thousands of them
            // for a full batch), so the next request is on its way meanwhile.
            lock (_inFlightLock) _inFlight[node]--;
            if (!_closing) DrainNow();
            else Wake();
            foreach (var batch in batches)
                if (batch.Outcome is not null && retried?.Contains(batch) != true) _accumulator.Finish(batch);
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

    private void Apply(List<ProducerBatch> batches, ProduceResponse response, ref List<ProducerBatch>? retried)
    {
        foreach (var batch in batches)
        {
            ProduceResponse.PartitionProduceResponse? answer = null;
            foreach (var topic in response.Responses)
                if (topic.Name == batch.Topic)
                    foreach (var p in topic.PartitionResponses)
                        if (p.Index == batch.Partition) answer = p;
            if (answer is null)
            {
                Resolve(batch, WireErrorCode.UnknownServerError, "the broker's answer left this partition out", -1, -1, ref retried);
                continue;
            }
            Resolve(batch, (WireErrorCode)answer.ErrorCode, answer.ErrorMessage, answer.BaseOffset, answer.LogAppendTimeMs, ref retried);
        }
    }

    /// <summary>
    /// Decides a batch's fate from its answer: done (success, or a failure for good), recorded as its outcome and
    /// taken off its partition (the records are completed by the caller afterwards), or put back for a retry.
    /// </summary>
    private void Resolve(ProducerBatch batch, WireErrorCode error, string? message, long baseOffset, long logAppendTime, ref List<ProducerBatch>? retried)
    {
        if (error == WireErrorCode.None)
        {
            Done(batch, new BatchOutcome(baseOffset, logAppendTime, error, null, null));
            return;
        }
        if (error is WireErrorCode.NotLeaderOrFollower or WireErrorCode.UnknownTopicOrPartition or WireErrorCode.LeaderNotAvailable
            or WireErrorCode.NetworkException or WireErrorCode.RequestTimedOut or WireErrorCode.FencedLeaderEpoch or WireErrorCode.KafkaStorageError)
            _metadata.RequestRefresh();
        if (error.IsRetriable() && !_closing && _accumulator.HasAttemptsLeft(batch))
        {
            if (_accumulator.HasTimeLeft(batch))
            {
                Interlocked.Increment(ref _retriedBatches);
                (retried ??= []).Add(batch); // before Retry: from then on another request may take it
                _accumulator.Retry(batch);
                return;
            }
            // Out of time rather than out of attempts: reported as a timeout, as librdkafka does.
            Done(batch, new BatchOutcome(-1, -1, error, ErrorCode.Local_MsgTimedOut,
                $"not delivered within delivery.timeout.ms ({_settings.DeliveryTimeout.TotalMilliseconds} ms); last error: {message ?? error.KafkaName()}"));
            return;
        }
        Done(batch, new BatchOutcome(-1, -1, error, null, message ?? error.KafkaName()));
    }

    private void Done(ProducerBatch batch, BatchOutcome outcome)
    {
        batch.Outcome = outcome;
        _accumulator.Dequeue(batch);
    }

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
