using System.Buffers;
using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Client.Partitioning;
using Gregor.Net;
using Gregor.Protocol.Records;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Producer;

/// <summary>
/// The producer: serializes, picks the partition, reserves buffer.memory and appends the record
/// to its partition's batch, where the sender picks it up. When metadata for the topic is known
/// and the budget has room, all of that happens synchronously in the caller, so records sent
/// from one thread keep their order; otherwise the call waits (up to max.block.ms) first.
/// </summary>
internal sealed class Producer<TKey, TValue> : IProducer<TKey, TValue>
{
    private readonly ProducerSettings _settings;
    private readonly RecordSerializer<TKey> _keySerializer;
    private readonly RecordSerializer<TValue> _valueSerializer;
    private readonly TimeProvider _clock;
    private readonly bool _systemClock;
    private readonly ConnectionPool _pool;
    private readonly MetadataManager _metadata;
    private readonly RecordAccumulator _accumulator;
    private readonly ProducerSender _sender;
    private readonly IPartitioner _partitioner;
    private readonly SemaphoreSlim _slowLane = new(1, 1);
    private int _slowPending;
    private int _disposed;
    private CallbackDelivery? _lastCallback;

    public Producer(ProducerSettings settings, RecordSerializer<TKey> keySerializer, RecordSerializer<TValue> valueSerializer, TimeProvider clock,
        IPartitioner partitioner)
    {
        _settings = settings;
        _keySerializer = keySerializer;
        _valueSerializer = valueSerializer;
        _clock = clock;
        _systemClock = ReferenceEquals(clock, TimeProvider.System);
        _partitioner = partitioner;
        _pool = new ConnectionPool(settings.Connection with { Clock = clock });
        _metadata = new MetadataManager(settings.Bootstrap, _pool, settings.MetadataMaxAge, settings.RetryBackoff, settings.AllowAutoTopicCreation);
        _accumulator = new RecordAccumulator(settings, clock) { BatchClosed = OnBatchClosed, Identity = settings.Idempotent ? new ProducerIdentity() : null };
        _sender = new ProducerSender(settings, _accumulator, _metadata, clock);
    }

    public string Name => _settings.Connection.ClientId;

    /// <summary>Batches sent again after a retriable failure so far.</summary>
    internal long RetriedBatches => _sender.RetriedBatches;

    private void OnBatchClosed(string topic, int partition)
    {
        if (_metadata.Current.Topics.TryGetValue(topic, out var t) && t.Partitions.Length > 0)
            _partitioner.OnBatchCompleted(topic, t.Partitions.Length, t.Available, partition);
    }

    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default) =>
        ProduceAsync(topic, Partition.Any, message, cancellationToken);

    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicPartition);
        return ProduceAsync(topicPartition.Topic, topicPartition.Partition, message, cancellationToken);
    }

    private Task<DeliveryResult<TKey, TValue>> ProduceAsync(string topic, int partition, Message<TKey, TValue> message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var completion = new TaskDelivery(message);
        ValueTask pending;
        try
        {
            pending = SendAsync(topic, partition, message, new DeliveryTarget(completion, null), completion, cancellationToken);
        }
        catch (KafkaException e)
        {
            pending = ValueTask.FromException(e);
        }
        if (!pending.IsCompletedSuccessfully) _ = ObserveAsync(pending, completion, topic, partition, message);
        return completion.Task;
    }

    public void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null) =>
        Produce(topic, Partition.Any, message, deliveryHandler);

    public void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null)
    {
        ArgumentNullException.ThrowIfNull(topicPartition);
        Produce(topicPartition.Topic, topicPartition.Partition, message, deliveryHandler);
    }

    private void Produce(string topic, int partition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler)
    {
        ArgumentNullException.ThrowIfNull(message);
        var delivery = deliveryHandler is null ? new DeliveryTarget(IgnoredDelivery.Instance, null) : new DeliveryTarget(CallbackFor(deliveryHandler), message);
        ValueTask pending;
        try
        {
            pending = SendAsync(topic, partition, message, delivery, null, CancellationToken.None);
        }
        catch (KafkaException e)
        {
            throw new ProduceException<TKey, TValue>(e.Error, Result(topic, partition, -1, message), e);
        }
        // Like the Java client's send(): blocks for metadata or buffer room, then fails in the caller.
        try
        {
            if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
        }
        catch (KafkaException e) when (e is not ProduceException<TKey, TValue>)
        {
            throw new ProduceException<TKey, TValue>(e.Error, Result(topic, partition, -1, message), e);
        }
    }

    private static async Task ObserveAsync(ValueTask pending, TaskDelivery completion, string topic, int partition, Message<TKey, TValue> message)
    {
        try { await pending.ConfigureAwait(false); }
#pragma warning disable CA1031 // every failure becomes the record's outcome; none may leave its task pending forever
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(completion, e, topic, partition, message);
        }
    }

    /// <summary>A record that never reached a batch: its task fails (or is cancelled) with why.</summary>
    private static void Fail(TaskDelivery completion, Exception e, string topic, int partition, Message<TKey, TValue> message)
    {
        if (e is KafkaException kafka && e is not ProduceException<TKey, TValue>)
            completion.TrySetException(new ProduceException<TKey, TValue>(kafka.Error, Result(topic, partition, -1, message), kafka));
        else if (e is OperationCanceledException cancelled) completion.TrySetCanceled(cancelled.CancellationToken);
        else completion.TrySetException(e);
    }

    /// <summary>Everything up to the append; synchronous when nothing has to be waited for.</summary>
    /// <param name="awaited">ProduceAsync's task, failed in the slow lane itself; null for Produce, whose caller gets the exception.</param>
    private ValueTask SendAsync(string topic, int partition, Message<TKey, TValue> message, DeliveryTarget delivery, TaskDelivery? awaited,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var target = _accumulator.Topic(topic);
        if (Volatile.Read(ref _slowPending) == 0 && KnownMetadata(target) is { } known && known.Error == WireErrorCode.None && known.Partitions.Length > 0)
        {
            int reserved = Reserve(topic, message, out ReadOnlyMemory<byte> key, out bool keyIsNull, out ReadOnlyMemory<byte> value, out bool valueIsNull);
            if (_accumulator.Budget.TryReserve(reserved))
            {
                Append(target, known, partition, message, key, keyIsNull, value, valueIsNull, delivery, reserved);
                return ValueTask.CompletedTask;
            }
        }
        Interlocked.Increment(ref _slowPending);
        return SendSlowlyAsync(topic, partition, message, delivery, awaited, cancellationToken);
    }

    /// <summary>The topic's entry in the current metadata, null if it has none; looked up only when the snapshot changed.</summary>
    private TopicMetadata? KnownMetadata(ProducerTopic topic)
    {
        var current = _metadata.Current;
        if (topic.Known is { } known && ReferenceEquals(known.Snapshot, current)) return known.Topic;
        if (!current.Topics.TryGetValue(topic.Name, out var entry)) return null;
        topic.Known = new KnownTopicMetadata(current, entry);
        return entry;
    }

    /// <summary>
    /// Records that must wait (metadata, buffer room) go through one lane in call order, and while
    /// any is waiting later records queue behind it, so that waiting never reorders a caller's records.
    /// </summary>
    private async ValueTask SendSlowlyAsync(string topic, int partition, Message<TKey, TValue> message, DeliveryTarget delivery, TaskDelivery? awaited,
        CancellationToken cancellationToken)
    {
        long start = _clock.GetTimestamp();
        try
        {
            await _slowLane.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _slowPending);
            throw;
        }
        try
        {
            await SendInLaneAsync(topic, partition, message, delivery, start, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the failure is the record's outcome, reported here
        catch (Exception e) when (awaited is not null)
#pragma warning restore CA1031
        {
            // Failed while still in the lane, before the next record is let in: a caller sees its records fail (say,
            // with buffer.memory full) in the order it sent them, never a later one before an earlier one.
            Fail(awaited, e, topic, partition, message);
        }
        finally
        {
            Interlocked.Decrement(ref _slowPending);
            _slowLane.Release();
        }
    }

    private async ValueTask SendInLaneAsync(string topic, int partition, Message<TKey, TValue> message, DeliveryTarget delivery, long start, CancellationToken cancellationToken)
    {
        TopicMetadata metadata;
        try
        {
            metadata = await _metadata.WaitForTopicAsync(topic, _settings.MaxBlock, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaErrorException e)
        {
            throw new KafkaException(new Error(e.Code == WireErrorCode.UnknownTopicOrPartition ? ErrorCode.Local_UnknownTopic : e.Code.ToClientErrorCode(), e.Message), e);
        }
        int reserved = Reserve(topic, message, out var key, out bool keyIsNull, out var value, out bool valueIsNull);
        var left = _settings.MaxBlock - _clock.GetElapsedTime(start);
        if (!await _accumulator.Budget.ReserveAsync(reserved, left, _clock, cancellationToken).ConfigureAwait(false))
            throw new KafkaException(new Error(ErrorCode.Local_QueueFull,
                $"buffer.memory ({_settings.BufferMemory} bytes) stayed full for max.block.ms ({_settings.MaxBlock.TotalMilliseconds} ms)"));
        Append(_accumulator.Topic(topic), metadata, partition, message, key, keyIsNull, value, valueIsNull, delivery, reserved);
    }

    /// <summary>Serializes key and value and returns the bytes to reserve; rejects records that can never be sent.</summary>
    private int Reserve(string topic, Message<TKey, TValue> message, out ReadOnlyMemory<byte> key, out bool keyIsNull, out ReadOnlyMemory<byte> value, out bool valueIsNull)
    {
        try { key = _keySerializer.Serialize(message.Key, topic, message.Headers, out keyIsNull); }
        catch (Exception e) when (e is not KafkaException) { throw new KafkaException(new Error(ErrorCode.Local_KeySerialization, e.Message), e); }
        try { value = _valueSerializer.Serialize(message.Value, topic, message.Headers, out valueIsNull); }
        catch (Exception e) when (e is not KafkaException) { throw new KafkaException(new Error(ErrorCode.Local_ValueSerialization, e.Message), e); }
        long headerBytes = 0;
        if (message.Headers is { Count: > 0 } headers)
            foreach (var h in headers)
                headerBytes += 10 + (h.Key.Length * 3L) + (h.GetValueBytes()?.Length ?? 0);
        long size = RecordAccumulator.EstimateSize(key.Length, value.Length, 0) + headerBytes + Gregor.Protocol.Records.RecordBatchHeader.Size;
        if (size > _settings.MaxRequestSize || size > _settings.BufferMemory)
            throw new KafkaException(new Error(ErrorCode.MessageTooLarge,
                $"a record of about {size} bytes is over max.request.size ({_settings.MaxRequestSize}) or buffer.memory ({_settings.BufferMemory})"));
        return (int)size;
    }

    private void Append(ProducerTopic target, TopicMetadata topic, int partition, Message<TKey, TValue> message, ReadOnlyMemory<byte> key, bool keyIsNull,
        ReadOnlyMemory<byte> value, bool valueIsNull, DeliveryTarget delivery, int reserved)
    {
        int count = topic.Partitions.Length;
        if (partition == Partition.Any) partition = _partitioner.Partition(topic.Name, count, topic.Available, key.Span, keyIsNull);
        if (partition < 0 || partition >= count)
        {
            _accumulator.Budget.Release(reserved);
            throw new KafkaException(new Error(ErrorCode.Local_UnknownPartition, $"{topic.Name} has {count} partitions; there is no partition {partition}"));
        }
        long timestamp = message.Timestamp.Type != TimestampType.NotAvailable ? message.Timestamp.UnixTimestampMs
            : _systemClock ? (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond // the same, a call shorter
            : _clock.GetUtcNow().ToUnixTimeMilliseconds();
        NullableBytes keyBytes = keyIsNull ? NullableBytes.Null : NullableBytes.Of(key.Span);
        NullableBytes valueBytes = valueIsNull ? NullableBytes.Null : NullableBytes.Of(value.Span);
        bool wake;
        if (message.Headers is { Count: > 0 } headers)
        {
            var rented = ArrayPool<RecordHeaderData>.Shared.Rent(headers.Count);
            try
            {
                for (int i = 0; i < headers.Count; i++) rented[i] = new RecordHeaderData(headers[i].Key, headers[i].GetValueBytes() is { } v ? v : (ReadOnlyMemory<byte>?)null); // typed: a bare null would become an empty value
                wake = _accumulator.Append(target, partition, timestamp, keyBytes, valueBytes, rented.AsSpan(0, headers.Count), delivery, reserved);
            }
            catch
            {
                _accumulator.Budget.Release(reserved);
                throw;
            }
            finally
            {
                ArrayPool<RecordHeaderData>.Shared.Return(rented, clearArray: true);
            }
        }
        else
        {
            try { wake = _accumulator.Append(target, partition, timestamp, keyBytes, valueBytes, default, delivery, reserved); }
            catch
            {
                _accumulator.Budget.Release(reserved);
                throw;
            }
        }
        if (wake) _sender.Wake();
    }

    public int Flush(TimeSpan timeout)
    {
        long deadline = _clock.GetTimestamp() + _accumulator.ToTicks(timeout);
        _accumulator.BeginFlush();
        try
        {
            _sender.Wake();
            var spin = new SpinWait();
            while (_accumulator.PendingRecords > 0 && _clock.GetTimestamp() < deadline)
            {
                if (spin.NextSpinWillYield) Thread.Sleep(1);
                else spin.SpinOnce();
            }
            return (int)Math.Min(int.MaxValue, _accumulator.PendingRecords);
        }
        finally
        {
            _accumulator.EndFlush();
        }
    }

    public void Flush(CancellationToken cancellationToken = default)
    {
        _accumulator.BeginFlush();
        try
        {
            _sender.Wake();
            while (_accumulator.PendingRecords > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Thread.Sleep(1);
            }
        }
        finally
        {
            _accumulator.EndFlush();
        }
    }

    /// <summary>Flushes (bounded by delivery.timeout.ms, after which records have failed anyway), then closes.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Flush(_settings.DeliveryTimeout + _settings.Connection.RequestTimeout);
        _sender.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _accumulator.AbortUnsent(ErrorCode.Local_Destroy);
        _metadata.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _accumulator.Dispose();
    }

    private static DeliveryResult<TKey, TValue> Result(string topic, int partition, long offset, Message<TKey, TValue> message) =>
        new() { Topic = topic, Partition = partition, Offset = offset >= 0 ? offset : Offset.Unset, Message = message, Status = PersistenceStatus.NotPersisted };

    private static Error ToError(WireErrorCode error, ErrorCode? localError, string? message) =>
        localError is { } local ? new Error(local, message) : new Error(error.ToClientErrorCode(), message);

    /// <summary>
    /// The completion for records sent with <paramref name="handler"/>. One serves every record sent with the same
    /// handler (the usual way: one method for all), so Produce allocates none per record; the last one is kept.
    /// Compared as delegates (same target, same method), not by reference: C# makes a new delegate object at every
    /// call for a method group such as <c>Produce(topic, message, OnDelivered)</c>.
    /// </summary>
    private CallbackDelivery CallbackFor(Action<DeliveryReport<TKey, TValue>> handler)
    {
        var last = _lastCallback;
        if (last is null || last.Handler != handler) _lastCallback = last = new CallbackDelivery(handler);
        return last;
    }

    /// <summary>ProduceAsync's completion: a task of the delivery result.</summary>
    private sealed class TaskDelivery(Message<TKey, TValue> message)
        : TaskCompletionSource<DeliveryResult<TKey, TValue>>(TaskCreationOptions.RunContinuationsAsynchronously), IDeliveryCompletion
    {
        public void Complete(object? state, string topic, int partition, long offset, long timestamp, bool logAppendTime, WireErrorCode error,
            ErrorCode? localError, string? reason)
        {
            message.Timestamp = new Timestamp(timestamp, logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime);
            var result = new DeliveryResult<TKey, TValue>
            {
                Topic = topic,
                Partition = partition,
                Offset = offset >= 0 ? offset : Offset.Unset, // acks=0 or failed: not known
                Message = message,
                Status = error == WireErrorCode.None && localError is null ? PersistenceStatus.Persisted : PersistenceStatus.NotPersisted,
            };
            if (result.Status == PersistenceStatus.Persisted) TrySetResult(result);
            else TrySetException(new ProduceException<TKey, TValue>(ToError(error, localError, reason), result));
        }
    }

    /// <summary>Produce's completion: calls the handler with a report, error included; the record's message is the state.</summary>
    private sealed class CallbackDelivery(Action<DeliveryReport<TKey, TValue>> handler) : IDeliveryCompletion
    {
        private static readonly Error NoError = new(ErrorCode.NoError);

        public Action<DeliveryReport<TKey, TValue>> Handler => handler;

        public void Complete(object? state, string topic, int partition, long offset, long timestamp, bool logAppendTime, WireErrorCode error,
            ErrorCode? localError, string? reason)
        {
            var message = (Message<TKey, TValue>)state!;
            message.Timestamp = new Timestamp(timestamp, logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime);
            bool ok = error == WireErrorCode.None && localError is null;
            handler(new DeliveryReport<TKey, TValue>
            {
                Topic = topic,
                Partition = partition,
                Offset = offset >= 0 ? offset : Offset.Unset, // acks=0 or failed: not known
                Message = message,
                Status = ok ? PersistenceStatus.Persisted : PersistenceStatus.NotPersisted,
                Error = ok ? NoError : ToError(error, localError, reason),
            });
        }
    }
}

/// <summary>Completion of a record nobody asked to hear about.</summary>
internal sealed class IgnoredDelivery : IDeliveryCompletion
{
    public static readonly IgnoredDelivery Instance = new();

    public void Complete(object? state, string topic, int partition, long offset, long timestamp, bool logAppendTime,
        WireErrorCode error, ErrorCode? localError, string? message)
    {
    }
}
