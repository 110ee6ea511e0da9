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
    /// Takes the head batch of every partition that is ready, not in flight, past its retry
    /// backoff and has a known leader that <paramref name="mayUseNode"/> accepts, grouped by
    /// leader and capped at max.request.size per request. Expires batches older than
    /// delivery.timeout.ms that are not in flight. Returns when the sender should look again.
    /// </summary>
    public long Drain(ClusterMetadata metadata, Func<int, bool> mayUseNode, Dictionary<int, List<ProducerBatch>> into,
        List<ProducerBatch> expired, out bool leaderUnknown)
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
            // Numbered when first sent (and again after its number was voided); in flight, only this drainer touches it.
            if (Identity is { } identity && !taken.HasSequence && !identity.TryNumber(queue, taken))
            {
                lock (queue.QueueLock) queue.InFlight = false; // no producer id now: sent once there is one
                continue;
            }
            // Built (compressed, CRC) outside the locks: the batch is closed and in flight, so nothing else touches it.
            int size;
            try
            {
                size = taken.Built().Length;
            }
            catch
            {
                lock (queue.QueueLock) queue.InFlight = false; // not sent: the partition must not stay blocked
                throw;
            }
            int used = requestBytes.GetValueOrDefault(leader);
            if (used > 0 && used + size > _settings.MaxRequestSize)
            {
                lock (queue.QueueLock) queue.InFlight = false; // the next request takes it
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
    /// The partition's next batch if it may be sent now, marked in flight (closing the open batch if that is the
    /// one); expired batches go to <paramref name="expired"/>. A closed batch waiting is taken under the queue lock
    /// alone; only when none is does this take the append lock, to close an open batch whose linger is over.
    /// </summary>
    private ProducerBatch? TakeReady(PartitionQueue queue, ClusterMetadata metadata, Func<int, bool> mayUseNode, long now, bool flushing,
        List<ProducerBatch> expired, ref long nextLook, ref bool leaderUnknown, out int leader)
    {
        leader = -1;
        lock (queue.QueueLock)
        {
            if (queue.InFlight) return null;
            while (queue.FirstClosed is { } stale && now - stale.CreatedTimestamp >= _deliveryTimeout)
            {
                queue.RemoveFirstClosed(stale);
                // Sent before and never acknowledged, its sequences' fate is unknown: the next batch must not follow them
                // (the Java client marks them unresolved and bumps the epoch once the partition has nothing in flight, as here).
                if (stale.HasSequence) VoidNumberingLocked(stale, bumpEpoch: true);
                expired.Add(stale);
            }
            if (queue.FirstClosed is { } head)
            {
                long readyAt = head.Attempts > 0 ? Math.Min(head.RetryNotBefore, head.CreatedTimestamp + _deliveryTimeout) : now;
                if (readyAt > now)
                {
                    nextLook = Math.Min(nextLook, readyAt);
                    return null;
                }
                if (!LeaderFor(queue, metadata, mayUseNode, now, ref nextLook, ref leaderUnknown, out leader)) return null;
                queue.InFlight = true;
                return head;
            }
        }
        lock (queue.AppendLock)
        lock (queue.QueueLock)
        {
            // Looked at again: the producer may have closed the batch meanwhile (and woken the sender, which looks again).
            if (queue.InFlight || queue.FirstClosed is not null || queue.Open is not { } open) return null;
            if (now - open.CreatedTimestamp >= _deliveryTimeout)
            {
                queue.Open = null;
                expired.Add(open);
                return null;
            }
            long readyAt = Math.Min(flushing ? now : open.CreatedTimestamp + _linger, open.CreatedTimestamp + _deliveryTimeout);
            if (readyAt > now)
            {
                nextLook = Math.Min(nextLook, readyAt);
                return null;
            }
            if (!LeaderFor(queue, metadata, mayUseNode, now, ref nextLook, ref leaderUnknown, out leader)) return null;
            queue.CloseOpen(); // built bytes must not change under it
            BatchClosed?.Invoke(queue.Topic, queue.Partition);
            queue.InFlight = true;
            return open;
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
    /// Takes an in-flight batch that is done off the head of its partition, so the partition's next batch may be
    /// sent; its records are completed afterwards by <see cref="Finish(ProducerBatch)"/>.
    /// </summary>
    public void Dequeue(ProducerBatch batch)
    {
        var queue = batch.Queue;
        lock (queue.QueueLock)
        {
            queue.RemoveFirstClosed(batch);
            queue.InFlight = false;
        }
    }

    /// <summary>Completes a dequeued batch with the outcome recorded on it.</summary>
    public void Finish(ProducerBatch batch)
    {
        var outcome = batch.Outcome ?? throw new InvalidOperationException($"batch for {batch.Topic}-{batch.Partition} finished without an outcome");
        Finish(batch, outcome.BaseOffset, outcome.LogAppendTime, outcome.Error, outcome.LocalError, outcome.Message);
    }

    /// <summary>Completes a batch already taken off its queue (expired).</summary>
    public void Finish(ProducerBatch batch, long baseOffset, long logAppendTime, WireErrorCode error, ErrorCode? localError, string? message)
    {
        int count = batch.Count;
        // buffer.memory first: the records' bytes are no longer needed, and the caller may be waiting for room.
        Budget.Release(batch.ReservedBytes);
        batch.Complete(baseOffset, logAppendTime, error, localError, message);
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

    /// <summary>The batch failed retriably: it stays at the head of its partition, to be resent after the backoff.</summary>
    public void Retry(ProducerBatch batch)
    {
        var queue = batch.Queue;
        lock (queue.QueueLock)
        {
            batch.Attempts++;
            batch.RetryNotBefore = _clock.GetTimestamp() + ToTicks(_settings.RetryBackoff);
            queue.InFlight = false;
        }
    }

    /// <summary>
    /// The in-flight <paramref name="batch"/> was refused for its sequence (the broker lost this producer's state): its
    /// number is void, and its partition numbers again from 0, this batch first, under the epoch current when it is resent.
    /// </summary>
    public static void RestartSequence(ProducerBatch batch)
    {
        lock (batch.Queue.QueueLock)
        {
            ProducerIdentity.RestartNumbering(batch.Queue);
            batch.ClearSequence();
        }
    }

    /// <summary>The in-flight <paramref name="batch"/> was acknowledged: its partition's last acknowledged sequence moves on.</summary>
    public static void Acknowledged(ProducerBatch batch)
    {
        lock (batch.Queue.QueueLock) ProducerIdentity.Acknowledged(batch.Queue, batch);
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
        if (!batch.HasSequence) return;
        if (bumpEpoch) Identity?.BumpEpoch(batch.ProducerId, batch.ProducerEpoch);
        ProducerIdentity.RestartNumbering(batch.Queue);
    }

    /// <summary>Whether the retries setting allows one more attempt.</summary>
    public bool HasAttemptsLeft(ProducerBatch batch) => batch.Attempts < _settings.Retries;

    /// <summary>Whether another attempt, after the backoff, would still start within delivery.timeout.ms.</summary>
    public bool HasTimeLeft(ProducerBatch batch) =>
        _clock.GetTimestamp() + ToTicks(_settings.RetryBackoff) - batch.CreatedTimestamp < _deliveryTimeout;

    /// <summary>Fails every batch not in flight (the producer is closing without delivering).</summary>
    public void AbortUnsent(ErrorCode reason) => FailUnsent(WireErrorCode.None, reason, "the producer was closed before the record was sent");

    /// <summary>Fails every batch not in flight with <paramref name="error"/> / <paramref name="localError"/>.</summary>
    public void FailUnsent(WireErrorCode error, ErrorCode? localError, string message)
    {
        var aborted = new List<ProducerBatch>();
        PartitionQueue[] queues;
        lock (_queueList) queues = [.. _queueList];
        foreach (var queue in queues)
            lock (queue.AppendLock)
            lock (queue.QueueLock)
            {
                if (queue.InFlight) continue;
                while (queue.FirstClosed is { } head)
                {
                    queue.RemoveFirstClosed(head);
                    aborted.Add(head);
                }
                if (queue.Open is { } open)
                {
                    queue.Open = null;
                    aborted.Add(open);
                }
            }
        foreach (var batch in aborted) Finish(batch, -1, -1, error, localError, message);
    }

    public void Dispose()
    {
        while (_pool.TryDequeue(out var batch)) batch.Dispose();
    }
}
