using System.Collections.Concurrent;
using System.Numerics;
using Gregor.Client.Metadata;
using Gregor.Protocol.Records;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Producer;

/// <summary>
/// Collects records into per-partition batches until they are full (batch.size) or have waited
/// linger.ms, and hands ready batches to the sender grouped by leader. Batches are recycled; a
/// record is encoded straight into its batch's pooled buffer, so appending allocates nothing.
/// </summary>
internal sealed class RecordAccumulator : IDisposable
{
    // Finished batches are kept, buffers and all, for reuse, as long as what they hold stays within buffer.memory
    // (as Kafka's producer keeps freed batch buffers in its buffer.memory pool): a producer running ahead keeps
    // buffer.memory / batch.size batches busy, and any it could not reuse would be allocated again.
    private const int MinPooledBatches = 16;

    private readonly ProducerSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, ProducerTopic> _topics = new(StringComparer.Ordinal);
    private readonly Action<PartitionQueue> _queueAdded;
    private readonly ConcurrentQueue<ProducerBatch> _pool = new();
    private readonly long _linger;
    private readonly long _deliveryTimeout;
    private readonly string _timedOutMessage;
    private readonly List<PartitionQueue> _queueList = [];
    private readonly Dictionary<int, int> _requestBytes = [];
    private long _pendingRecords;
    private int _flushers;
    private ProducerTopic? _lastTopic;
    private long _pooledBytes;

    public RecordAccumulator(ProducerSettings settings, TimeProvider clock)
    {
        _settings = settings;
        _clock = clock;
        _linger = ToTicks(settings.Linger);
        _deliveryTimeout = ToTicks(settings.DeliveryTimeout);
        _timedOutMessage = $"not delivered within delivery.timeout.ms ({settings.DeliveryTimeout.TotalMilliseconds} ms)";
        Budget = new MemoryBudget(settings.BufferMemory);
        _queueAdded = QueueAdded;
    }

    public MemoryBudget Budget { get; }

    /// <summary>An idempotent producer's identity, which numbers each batch when it is first sent; null when not idempotent.</summary>
    public ProducerIdentity? Identity { get; init; }

    /// <summary>Told when a partition's batch closes (full or ready to send), so sticky partitioning moves on.</summary>
    public Action<string, int>? BatchClosed { get; set; }

    /// <summary>Records accepted and not yet completed.</summary>
    public long PendingRecords => Interlocked.Read(ref _pendingRecords);

    /// <summary>While a flush runs, every batch is ready at once regardless of linger.ms.</summary>
    public bool Flushing => Volatile.Read(ref _flushers) > 0;

    public void BeginFlush() => Interlocked.Increment(ref _flushers);

    public void EndFlush() => Interlocked.Decrement(ref _flushers);

    public long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);

    /// <summary>Bytes a record takes in a batch at most (its reservation against buffer.memory): record framing and varints at their widest.</summary>
    public static int EstimateSize(int keyLength, int valueLength, int headersLength) => 5 + 1 + 10 + 5 + 5 + keyLength + 5 + valueLength + 5 + headersLength;

    /// <summary>The producer's state for a topic, made on first use. The last one asked for is kept at hand: records mostly come in runs of one topic.</summary>
    public ProducerTopic Topic(string name)
    {
        var last = Volatile.Read(ref _lastTopic);
        if (last is not null && string.Equals(last.Name, name, StringComparison.Ordinal)) return last;
        var topic = _topics.GetOrAdd(name, static n => new ProducerTopic(n));
        Volatile.Write(ref _lastTopic, topic);
        return topic;
    }

    /// <summary>
    /// Appends a record whose size was already reserved from the budget. Returns true when a batch
    /// became ready (full) or was started, so the sender should look now: to send, or to learn a new linger deadline.
    /// </summary>
    public bool Append(ProducerTopic topic, int partition, long timestamp, NullableBytes key, NullableBytes value,
        ReadOnlySpan<RecordHeaderData> headers, DeliveryTarget delivery, int reserved)
    {
        var queue = topic.Queue(partition, _queueAdded);
        bool ready = false;
        lock (queue.AppendLock)
        {
            if (queue.Open is { } open && open.Count > 0 && open.UncompressedSize + reserved > _settings.BatchSize)
            {
                lock (queue.QueueLock) queue.CloseOpen();
                BatchClosed?.Invoke(topic.Name, partition);
                ready = true;
            }
            if (queue.Open is null)
            {
                ProducerBatch batch;
                if (_pool.TryDequeue(out var pooled))
                {
                    Interlocked.Add(ref _pooledBytes, -pooled.PooledBytes);
                    batch = pooled;
                }
                else batch = new ProducerBatch();
                batch.Start(queue, _settings.Compression, _settings.CompressionLevel, _clock.GetTimestamp());
                queue.Open = batch;
                ready = true; // the sender must learn this batch's linger deadline
            }
            var target = queue.Open;
            target.Append(timestamp, key, value, headers, delivery);
            target.ReservedBytes += reserved;
            if (target.UncompressedSize >= _settings.BatchSize)
            {
                lock (queue.QueueLock) queue.CloseOpen();
                BatchClosed?.Invoke(topic.Name, partition);
                ready = true;
            }
        }
        Interlocked.Increment(ref _pendingRecords);
        return ready;
    }

    private void QueueAdded(PartitionQueue queue)
    {
        lock (_queueList) _queueList.Add(queue);
    }

    /// <summary>
    /// Takes the next batch of every partition that may be sent now (see <see cref="TakeReady"/>) and has a known leader
    /// that <paramref name="mayUseNode"/> accepts, grouped by leader and capped at max.request.size per request (a request
    /// carries one batch per partition, as Kafka requires). Batches older than delivery.timeout.ms that are not in flight
    /// are marked done with a timeout, and their partitions listed in <paramref name="expired"/> for
    /// <see cref="FinishDone"/>. Returns when the sender should look again: now when a partition has another batch
    /// to send at once (the next drain puts it in the next request).
    /// </summary>
    public long Drain(ClusterMetadata metadata, Func<int, bool> mayUseNode, Dictionary<int, List<ProducerBatch>> into,
        List<PartitionQueue> expired, out bool leaderUnknown)
    {
        long now = _clock.GetTimestamp();
        long nextLook = now + ToTicks(TimeSpan.FromSeconds(1));
        bool flushing = Flushing;
        leaderUnknown = false;
        // Called by one drainer at a time (the sender sees to it); its scratch state is reused, so a drain allocates nothing.
        var requestBytes = _requestBytes;
        requestBytes.Clear();
        int queueCount;
        lock (_queueList) queueCount = _queueList.Count;
        for (int q = 0; q < queueCount; q++)
        {
            PartitionQueue queue;
            lock (_queueList) queue = _queueList[q];
            if (TakeReady(queue, metadata, mayUseNode, now, flushing, expired, ref nextLook, ref leaderUnknown, out int leader) is not { } taken) continue;
            // Built (compressed, CRC) outside the locks: the batch is closed and in flight, so nothing else touches its bytes.
            int size;
            try
            {
                size = taken.Built().Length;
            }
            catch
            {
                Untake(taken); // not sent: the partition must not stay blocked
                throw;
            }
            int used = requestBytes.GetValueOrDefault(leader);
            if (used > 0 && used + size > _settings.MaxRequestSize)
            {
                Untake(taken); // the next request takes it
                nextLook = now;
                continue;
            }
            requestBytes[leader] = used + size;
            if (!into.TryGetValue(leader, out var list)) into[leader] = list = [];
            list.Add(taken);
        }
        return nextLook;
    }

    /// <summary>
    /// The partition's next batch if it may be sent now, marked in flight (closing the open batch if that is the one):
    /// the oldest closed batch neither in flight nor done, else the open batch once its linger is over. It waits while
    /// max.in.flight.requests.per.connection of the partition's batches are in flight (so with 1, one at a time; an
    /// idempotent producer's, one at a time too until a batch of the partition is acknowledged under its producer id), during
    /// its retry backoff, and, when it is a retry still carrying its number (or any retry without idempotence), while a
    /// batch ahead of it is in flight: as in the Java client, while a partition retries only its first unfinished batch
    /// goes out, so a retry never overtakes what it follows. An idempotent producer numbers a batch here, in the
    /// partition's order; not under a new id or epoch while a batch numbered under the old one is still in flight.
    /// Batches past delivery.timeout.ms that are not in flight are marked done (with a timeout) on the way.
    /// A closed batch is taken under the queue lock alone; only when none waits does this take the append lock too.
    /// </summary>
    private ProducerBatch? TakeReady(PartitionQueue queue, ClusterMetadata metadata, Func<int, bool> mayUseNode, long now, bool flushing,
        List<PartitionQueue> expired, ref long nextLook, ref bool leaderUnknown, out int leader)
    {
        leader = -1;
        lock (queue.QueueLock)
        {
            ProducerBatch? waiting = null;
            bool inFlightAhead = false, more = false, expiredAny = false;
            foreach (var batch in queue)
            {
                if (batch.InFlight)
                {
                    inFlightAhead |= waiting is null;
                    continue;
                }
                if (batch.Outcome is not null) continue;
                if (now - batch.CreatedTimestamp >= _deliveryTimeout)
                {
                    Expire(batch);
                    expiredAny = true;
                    continue;
                }
                if (waiting is not null)
                {
                    more = true;
                    break;
                }
                waiting = batch;
            }
            if (expiredAny) expired.Add(queue);
            if (waiting is not null)
            {
                if (!MayTake(queue, waiting, inFlightAhead, metadata, mayUseNode, now, ref nextLook, ref leaderUnknown, out leader)) return null;
                // Another batch of the partition may go in the next request at once (a hint: the open batch is read without its lock).
                if (more || queue.Open is not null) nextLook = now;
                return waiting;
            }
        }
        lock (queue.AppendLock)
        lock (queue.QueueLock)
        {
            // Looked at again: the producer may have closed the batch meanwhile (and woken the sender, which looks again).
            if (queue.HasWaiting() || queue.Open is not { } open) return null;
            if (now - open.CreatedTimestamp >= _deliveryTimeout)
            {
                queue.CloseOpen();
                Expire(open);
                expired.Add(queue);
                return null;
            }
            long readyAt = Math.Min(flushing ? now : open.CreatedTimestamp + _linger, open.CreatedTimestamp + _deliveryTimeout);
            if (readyAt > now)
            {
                nextLook = Math.Min(nextLook, readyAt);
                return null;
            }
            if (!MayTake(queue, open, inFlightAhead: queue.InFlightCount > 0, metadata, mayUseNode, now, ref nextLook, ref leaderUnknown, out leader)) return null;
            queue.CloseOpen(); // built bytes must not change under it
            BatchClosed?.Invoke(queue.Topic, queue.Partition);
            return open;
        }
    }

    /// <summary>Whether <paramref name="batch"/>, the partition's next to send, may go now; if so it is numbered (idempotent) and marked in flight. Hold the queue lock.</summary>
    private bool MayTake(PartitionQueue queue, ProducerBatch batch, bool inFlightAhead, ClusterMetadata metadata, Func<int, bool> mayUseNode,
        long now, ref long nextLook, ref bool leaderUnknown, out int leader)
    {
        leader = -1;
        // An answer frees a slot and drains again, so no deadline is needed for these two. An idempotent producer keeps
        // one batch of the partition in flight until its leader is known to hold the producer's state: a leader without
        // it takes any sequence, so a later batch could be written ahead of an earlier one refused (PartitionQueue.StateKnownProducerId).
        int limit = Identity is { } known && !known.LeaderHasState(queue) ? 1 : _settings.MaxInFlightPerConnection;
        if (queue.InFlightCount >= limit) return false;
        if (batch.Attempts > 0 && inFlightAhead && (Identity is null || batch.HasSequence)) return false;
        if (batch.Attempts > 0)
        {
            long readyAt = Math.Min(batch.RetryNotBefore, batch.CreatedTimestamp + _deliveryTimeout);
            if (readyAt > now)
            {
                nextLook = Math.Min(nextLook, readyAt);
                return false;
            }
        }
        if (!LeaderFor(queue, metadata, mayUseNode, now, ref nextLook, ref leaderUnknown, out leader)) return false;
        if (Identity is { } identity && !batch.HasSequence)
        {
            // A batch numbered from 0 under a new id or epoch could be written before the old epoch's batches still in
            // flight are answered, and make them fail for an old epoch: it waits for their answers (which drain again).
            if (queue.InFlightCount > 0 && !identity.NumbersCurrently(queue)) return false;
            // Nor while the fate of sequences given is unknown: the answers of the batches after them tell it.
            if (queue.UnresolvedNext >= 0)
            {
                if (queue.InFlightCount > 0) return false;
                identity.Resolve(queue);
            }
            if (!identity.TryNumber(queue, batch)) return false; // no producer id now: sent once there is one
        }
        batch.InFlight = true;
        queue.InFlightCount++;
        return true;
    }

    /// <summary>A batch past delivery.timeout.ms that is not in flight is done with a timeout (hold the queue lock).</summary>
    private void Expire(ProducerBatch batch)
    {
        // Sent before and never acknowledged, its sequences' fate is unknown: unresolved until the batches after it are
        // answered (as the Java client does), so that none of them that may have been written is numbered again.
        ProducerIdentity.MarkUnresolved(batch.Queue, batch);
        batch.Outcome = new BatchOutcome(-1, -1, WireErrorCode.None, ErrorCode.Local_MsgTimedOut, _timedOutMessage);
    }

    /// <summary>A taken batch was not sent after all (hold no lock): it waits again, keeping its number if it got one.</summary>
    private static void Untake(ProducerBatch batch)
    {
        var queue = batch.Queue;
        lock (queue.QueueLock)
        {
            batch.InFlight = false;
            queue.InFlightCount--;
        }
    }

    private bool LeaderFor(PartitionQueue queue, ClusterMetadata metadata, Func<int, bool> mayUseNode, long now, ref long nextLook,
        ref bool leaderUnknown, out int leader)
    {
        if (!metadata.TryGetLeader(queue.Topic, queue.Partition, out leader, out _))
        {
            leaderUnknown = true;
            nextLook = Math.Min(nextLook, now + ToTicks(_settings.RetryBackoff));
            return false;
        }
        return mayUseNode(leader);
    }

    /// <summary>
    /// An in-flight batch is done (success, or failed for good) with <paramref name="outcome"/>: it no longer counts as in
    /// flight, so the partition's next batch may be sent; its records are completed by <see cref="FinishDone"/>, in order.
    /// </summary>
    public static void Complete(ProducerBatch batch, BatchOutcome outcome)
    {
        var queue = batch.Queue;
        lock (queue.QueueLock)
        {
            batch.Outcome = outcome;
            batch.InFlight = false;
            queue.InFlightCount--;
        }
    }

    /// <summary>
    /// Completes the records of the partition's done batches at its head, oldest first, and recycles them; stops at the
    /// first batch not done. One thread at a time per partition does this (another finds it busy and leaves the batches
    /// it marked done to it), so a partition's records complete in order.
    /// </summary>
    public void FinishDone(PartitionQueue queue)
    {
        lock (queue.QueueLock)
        {
            if (queue.Finishing) return;
            queue.Finishing = true;
        }
        ProducerBatch? batch = null;
        try
        {
            while (true)
            {
                lock (queue.QueueLock)
                {
                    batch = queue.TakeDoneHead();
                    if (batch is null)
                    {
                        queue.Finishing = false;
                        return;
                    }
                }
                Finish(batch);
                batch = null;
            }
        }
        finally
        {
            if (batch is not null)
                lock (queue.QueueLock) queue.Finishing = false; // Finish threw: the next caller carries on
        }
    }

    /// <summary>Completes a batch taken off its queue with the outcome recorded on it.</summary>
    private void Finish(ProducerBatch batch)
    {
        var outcome = batch.Outcome ?? throw new InvalidOperationException($"batch for {batch.Topic}-{batch.Partition} finished without an outcome");
        int count = batch.Count;
        // buffer.memory first: the records' bytes are no longer needed, and the caller may be waiting for room.
        Budget.Release(batch.ReservedBytes);
        batch.Complete(outcome.BaseOffset, outcome.LogAppendTime, outcome.Error, outcome.LocalError, outcome.Message);
        Interlocked.Add(ref _pendingRecords, -count);
        // Its buffer was rented at a power of two at least the size it reached.
        long held = (long)BitOperations.RoundUpToPowerOf2((uint)Math.Max(batch.UncompressedSize, 1));
        if (_pool.Count < MinPooledBatches || Interlocked.Read(ref _pooledBytes) + held <= _settings.BufferMemory)
        {
            batch.PooledBytes = held;
            Interlocked.Add(ref _pooledBytes, held);
            _pool.Enqueue(batch);
        }
        else batch.Dispose();
    }

    /// <summary>The in-flight batch failed retriably: it keeps its place in its partition, to be resent after the backoff.</summary>
    public void Retry(ProducerBatch batch)
    {
        var queue = batch.Queue;
        lock (queue.QueueLock)
        {
            batch.Attempts++;
            batch.RetryNotBefore = _clock.GetTimestamp() + ToTicks(_settings.RetryBackoff);
            batch.InFlight = false;
            queue.InFlightCount--;
        }
    }

    /// <summary>
    /// The in-flight <paramref name="batch"/> was refused for its sequence (the broker lost this producer's state): the
    /// partition numbers again from 0, this batch and every other one of it not yet done that carries a number afresh, in
    /// order, under the epoch current when they are resent.
    /// </summary>
    public static void RestartSequence(ProducerBatch batch)
    {
        lock (batch.Queue.QueueLock)
        {
            ProducerIdentity.RestartNumbering(batch.Queue);
            if (batch.HasSequence) batch.ClearSequence();
        }
    }

    /// <summary>The in-flight <paramref name="batch"/> was acknowledged: its partition's last acknowledged sequence moves on.</summary>
    public static void Acknowledged(ProducerBatch batch)
    {
        lock (batch.Queue.QueueLock) ProducerIdentity.Acknowledged(batch.Queue, batch);
    }

    /// <summary>The broker answered UNKNOWN_PRODUCER_ID for <paramref name="batch"/>'s partition (see <see cref="ProducerIdentity.StateLost"/>).</summary>
    public static void StateLost(ProducerBatch batch)
    {
        lock (batch.Queue.QueueLock) ProducerIdentity.StateLost(batch.Queue);
    }

    /// <summary>What a refusal of the in-flight, numbered <paramref name="batch"/> calls for (see <see cref="ProducerIdentity.Judge"/>).</summary>
    public static SequenceRefusal JudgeRefusal(ProducerBatch batch, WireErrorCode error, long logStartOffset)
    {
        lock (batch.Queue.QueueLock) return ProducerIdentity.Judge(batch.Queue, batch, error, logStartOffset);
    }

    /// <summary>
    /// The numbered, in-flight <paramref name="batch"/> failed for good: its partition's numbering is void, so the next
    /// batch does not leave a gap behind it, under a bumped epoch (as the Java client asks for when it fails an idempotent
    /// producer's batch), or under the same epoch after UNKNOWN_PRODUCER_ID (the broker has no state that sequence 0 could
    /// collide with).
    /// </summary>
    public void VoidNumbering(ProducerBatch batch, bool bumpEpoch)
    {
        lock (batch.Queue.QueueLock) VoidNumberingLocked(batch, bumpEpoch);
    }

    private void VoidNumberingLocked(ProducerBatch batch, bool bumpEpoch)
    {
        if (!batch.WasNumbered) return;
        if (bumpEpoch) Identity?.BumpEpoch(batch.ProducerId, batch.ProducerEpoch);
        ProducerIdentity.RestartNumbering(batch.Queue);
    }

    /// <summary>The numbered, in-flight <paramref name="batch"/> failed for good with its fate unknown (see <see cref="ProducerIdentity.MarkUnresolved"/>).</summary>
    public static void MarkUnresolved(ProducerBatch batch)
    {
        lock (batch.Queue.QueueLock) ProducerIdentity.MarkUnresolved(batch.Queue, batch);
    }

    /// <summary>Whether the retries setting allows one more attempt.</summary>
    public bool HasAttemptsLeft(ProducerBatch batch) => batch.Attempts < _settings.Retries;

    /// <summary>Whether another attempt, after the backoff, would still start within delivery.timeout.ms.</summary>
    public bool HasTimeLeft(ProducerBatch batch) =>
        _clock.GetTimestamp() + ToTicks(_settings.RetryBackoff) - batch.CreatedTimestamp < _deliveryTimeout;

    /// <summary>Fails every batch not in flight (the producer is closing without delivering).</summary>
    public void AbortUnsent(ErrorCode reason) => FailUnsent(WireErrorCode.None, reason, "the producer was closed before the record was sent");

    /// <summary>
    /// Fails every batch not in flight with <paramref name="error"/> / <paramref name="localError"/>; those behind a
    /// batch in flight complete after it, when its answer comes.
    /// </summary>
    public void FailUnsent(WireErrorCode error, ErrorCode? localError, string message)
    {
        var outcome = new BatchOutcome(-1, -1, error, localError, message);
        PartitionQueue[] queues;
        lock (_queueList) queues = [.. _queueList];
        foreach (var queue in queues)
        {
            lock (queue.AppendLock)
            lock (queue.QueueLock)
            {
                queue.CloseOpen();
                foreach (var batch in queue)
                    if (!batch.InFlight && batch.Outcome is null) batch.Outcome = outcome;
            }
            FinishDone(queue);
        }
    }

    public void Dispose()
    {
        while (_pool.TryDequeue(out var batch)) batch.Dispose();
    }
}
