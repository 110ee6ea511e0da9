using System.Text;
using Gregor.Protocol.Primitives;

namespace Gregor.Client.Consumer;

/// <summary>
/// The consumer for one key and value type: turns the records <see cref="ConsumerCore"/> hands out into
/// <see cref="ConsumeResult{TKey, TValue}"/>s, deserializing straight from the fetched bytes. Per record it
/// allocates only what the result must hold: the result, the message, the key and value, and headers when the
/// record has any (a record without headers gets null Headers).
/// </summary>
internal sealed class Consumer<TKey, TValue> : IConsumer<TKey, TValue>
{
    private readonly ConsumerCore _core;
    private readonly IDeserializer<TKey> _keys;
    private readonly IDeserializer<TValue> _values;
    private readonly RebalanceHandlers _handlers;
    private readonly object _memberLock = new();
    private ConsumerGroupMember? _member;
    private int _disposed;

    public Consumer(ConsumerSettings settings, IDeserializer<TKey> keys, IDeserializer<TValue> values, TimeProvider clock,
        Action<IConsumer<TKey, TValue>, Error>? errorHandler, ConsumerHandlers<TKey, TValue>? handlers = null)
    {
        _keys = keys;
        _values = values;
        _core = new ConsumerCore(settings, clock);
        if (errorHandler is not null) _core.ErrorHandler = error => errorHandler(this, error);
        _handlers = handlers is null ? RebalanceHandlers.None : new RebalanceHandlers(
            handlers.Assigned is { } assigned ? partitions => assigned(this, partitions) : null,
            handlers.Revoked is { } revoked ? partitions => revoked(this, partitions) : null,
            handlers.Lost is { } lost ? partitions => lost(this, partitions) : null);
    }

    /// <summary>The untyped machinery, for tests.</summary>
    internal ConsumerCore Core => _core;

    public string Name => _core.Settings.Connection.ClientId;

    public string MemberId => Member?.MemberId ?? "";

    public List<TopicPartition> Assignment => _core.Assignment;

    public List<string> Subscription => Member?.Subscription ?? [];

    private ConsumerGroupMember? Member
    {
        get { lock (_memberLock) return _member; }
    }

    /// <summary>The group side, once subscribed (for tests).</summary>
    internal ConsumerGroupMember? GroupMember => Member;

    public void Subscribe(string topic) => Subscribe([topic]);

    public void Subscribe(IEnumerable<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ThrowIfClosed();
        var list = topics.ToList();
        foreach (string topic in list)
            if (string.IsNullOrWhiteSpace(topic) || topic == "^") throw new ArgumentException($"'{topic}' is not a topic name or a regex", nameof(topics));
        if (list.Count == 0) throw new ArgumentException("subscribe to at least one topic (or call Unsubscribe)", nameof(topics));
        if (_core.Settings.Membership is not { } settings)
            throw new KafkaException(new Error(ErrorCode.InvalidGroupId, "Subscribe needs a group.id in the consumer's configuration"));
        lock (_memberLock)
        {
            if (_member is null || !_member.OwnsAssignment)
            {
                // As Java's IllegalStateException: the partitions are either the application's (Assign) or the group's.
                if (_core.Assignment.Count > 0)
                    throw new InvalidOperationException("the consumer has partitions assigned with Assign; Assign and Subscribe exclude each other (Unassign first)");
            }
            _member ??= new ConsumerGroupMember(_core, settings, _handlers);
            _member.Subscribe(list);
        }
    }

    public void Unsubscribe()
    {
        ThrowIfClosed();
        Member?.Unsubscribe();
    }

    public ConsumeResult<TKey, TValue>? Consume(int millisecondsTimeout) =>
        Consume(millisecondsTimeout == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(millisecondsTimeout));

    public ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout) => ConsumeWithin(timeout, CancellationToken.None);

    public ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (ConsumeWithin(Timeout.InfiniteTimeSpan, cancellationToken) is { } result) return result;
        }
    }

    private ConsumeResult<TKey, TValue>? ConsumeWithin(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ThrowIfClosing();
        if (!_core.TryEnterConsume())
            throw new InvalidOperationException("Consume is already running (on another thread, or this one from a handler); a consumer is consumed from one thread at a time");
        try
        {
            bool forever = timeout == Timeout.InfiniteTimeSpan;
            long start = _core.Clock.GetTimestamp();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ThrowIfClosing();
                _core.RunConsumeThreadWork();
                switch (_core.TryNext(out var slot, out var partition, out int generation, out var error))
                {
                    case NextKind.Record:
                        if (Materialize(slot, partition!, generation) is { } record) return record;
                        continue;
                    case NextKind.PartitionEof:
                        return new ConsumeResult<TKey, TValue>
                        {
                            Topic = partition!.Topic,
                            Partition = partition.TopicPartition.Partition,
                            Offset = slot.Offset,
                            IsPartitionEOF = true,
                        };
                    case NextKind.Error:
                        throw Failure(error!);
                }
                var left = forever ? Timeout.InfiniteTimeSpan : timeout - _core.Clock.GetElapsedTime(start);
                if (!forever && left <= TimeSpan.Zero) return null;
                // A group member comes back now and then while it waits: waiting in Consume counts as polling.
                if (Member is { } member && (forever || left > member.LongestWait)) left = member.LongestWait;
                _core.WaitForWork(left, cancellationToken);
            }
        }
        finally
        {
            _core.ExitConsume();
        }
    }

    private ConsumeResult<TKey, TValue>? Materialize(RecordSlot slot, PartitionState partition, int generation)
    {
        var section = _core.Section;
        int leaderEpoch = _core.CurrentLeaderEpoch;
        var headers = slot.HeaderCount > 0 ? ReadHeaders(section.Slice(slot.HeadersStart, slot.HeadersLength), slot.HeaderCount) : null;
        var keyBytes = slot.KeyLength < 0 ? default : section.Slice(slot.KeyStart, slot.KeyLength);
        var valueBytes = slot.ValueLength < 0 ? default : section.Slice(slot.ValueStart, slot.ValueLength);
        TKey key;
        TValue value;
        try
        {
            key = _keys.Deserialize(keyBytes, slot.KeyLength < 0, new SerializationContext(MessageComponentType.Key, partition.Topic, headers));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw DeserializationFailure(ErrorCode.Local_KeyDeserialization, e, slot, partition, generation, leaderEpoch, keyBytes, valueBytes, headers);
        }
        try
        {
            value = _values.Deserialize(valueBytes, slot.ValueLength < 0, new SerializationContext(MessageComponentType.Value, partition.Topic, headers));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw DeserializationFailure(ErrorCode.Local_ValueDeserialization, e, slot, partition, generation, leaderEpoch, keyBytes, valueBytes, headers);
        }
        if (!_core.Delivered(partition, generation, slot.Offset, leaderEpoch)) return null; // a seek or reassignment came first
        return new ConsumeResult<TKey, TValue>
        {
            Topic = partition.Topic,
            Partition = partition.TopicPartition.Partition,
            Offset = slot.Offset,
            LeaderEpoch = leaderEpoch >= 0 ? leaderEpoch : null,
            Message = new Message<TKey, TValue>
            {
                Key = key,
                Value = value,
                Timestamp = new Timestamp(slot.Timestamp, _core.CurrentTimestampType),
                Headers = headers,
            },
        };
    }

    /// <summary>
    /// As in Confluent.Kafka, a record that does not deserialize counts as consumed (the position moves past it)
    /// and the exception carries its raw bytes.
    /// </summary>
    private ConsumeException DeserializationFailure(ErrorCode code, Exception e, RecordSlot slot, PartitionState partition, int generation, int leaderEpoch,
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, Headers? headers)
    {
        _core.Delivered(partition, generation, slot.Offset, leaderEpoch);
        var raw = new ConsumeResult<byte[], byte[]>
        {
            Topic = partition.Topic,
            Partition = partition.TopicPartition.Partition,
            Offset = slot.Offset,
            LeaderEpoch = leaderEpoch >= 0 ? leaderEpoch : null,
            Message = new Message<byte[], byte[]>
            {
                Key = slot.KeyLength < 0 ? null! : key.ToArray(),
                Value = slot.ValueLength < 0 ? null! : value.ToArray(),
                Timestamp = new Timestamp(slot.Timestamp, _core.CurrentTimestampType),
                Headers = headers,
            },
        };
        return new ConsumeException(raw, new Error(code, e.Message), e);
    }

    /// <summary>Headers as the record encodes them (the parser checked every length): varint key length, key, varint value length, value.</summary>
    private static Headers ReadHeaders(ReadOnlySpan<byte> encoded, int count)
    {
        var headers = new Headers();
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            position += Varint.TryReadZigZag32(encoded[position..], out int keyLength);
            string key = Encoding.UTF8.GetString(encoded.Slice(position, keyLength));
            position += keyLength;
            position += Varint.TryReadZigZag32(encoded[position..], out int valueLength);
            byte[]? value = valueLength < 0 ? null : encoded.Slice(position, valueLength).ToArray();
            position += Math.Max(0, valueLength);
            headers.Add(key, value);
        }
        return headers;
    }

    private static ConsumeException Failure(ConsumeError error) => new(
        new ConsumeResult<byte[], byte[]>
        {
            Topic = error.Partition?.Topic ?? "",
            Partition = error.Partition?.Partition ?? Partition.Any,
            Offset = error.Offset,
            Message = new Message<byte[], byte[]> { Key = null!, Value = null! },
        },
        error.Error);

    public void Assign(TopicPartition partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        Assign([partition]);
    }

    public void Assign(TopicPartitionOffset partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        Assign([partition]);
    }

    public void Assign(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        Assign(partitions.Select(Unset));
    }

    public void Assign(IEnumerable<TopicPartitionOffset> partitions)
    {
        ThrowIfClosed();
        ThrowIfSubscribed();
        _core.Assign(partitions);
    }

    public void IncrementalAssign(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        IncrementalAssign(partitions.Select(Unset));
    }

    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions)
    {
        ThrowIfClosed();
        ThrowIfSubscribed();
        _core.IncrementalAssign(partitions);
    }

    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions)
    {
        ThrowIfClosed();
        ThrowIfSubscribed();
        _core.IncrementalUnassign(partitions);
    }

    public void Unassign()
    {
        ThrowIfClosed();
        ThrowIfSubscribed();
        _core.Assign([]);
    }

    private static TopicPartitionOffset Unset(TopicPartition tp) =>
        new(tp ?? throw new ArgumentException("a partition in the list is null", nameof(tp)), Offset.Unset);

    public void Seek(TopicPartitionOffset tpo)
    {
        ThrowIfClosed();
        _core.Seek(tpo);
    }

    public Offset Position(TopicPartition partition)
    {
        ThrowIfClosed();
        return _core.Position(partition);
    }

    public void Pause(IEnumerable<TopicPartition> partitions)
    {
        ThrowIfClosed();
        _core.Pause(partitions);
    }

    public void Resume(IEnumerable<TopicPartition> partitions)
    {
        ThrowIfClosed();
        _core.Resume(partitions);
    }

    public List<TopicPartitionOffset> Committed(TimeSpan timeout) => Committed(Assignment, timeout);

    public List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout)
    {
        ThrowIfClosed();
        return [.. _core.Committed(partitions, timeout).Select(c => new TopicPartitionOffset(c.Topic, c.Partition,
            c.Offset >= 0 ? new Offset(c.Offset) : Offset.Unset, c.LeaderEpoch >= 0 ? c.LeaderEpoch : null))];
    }

    public List<TopicPartitionOffsetMetadata> CommittedWithMetadata(IEnumerable<TopicPartition> partitions, TimeSpan timeout)
    {
        ThrowIfClosed();
        return [.. _core.Committed(partitions, timeout).Select(c => new TopicPartitionOffsetMetadata(c.Topic, c.Partition,
            c.Offset >= 0 ? new Offset(c.Offset) : Offset.Unset, c.LeaderEpoch >= 0 ? c.LeaderEpoch : null, c.Metadata))];
    }

    public List<TopicPartitionOffset> Commit()
    {
        ThrowIfClosed();
        return _core.CommitStored();
    }

    public void Commit(IEnumerable<TopicPartitionOffset> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        Commit(offsets.Select(o => new TopicPartitionOffsetMetadata(o ?? throw new ArgumentException("an offset in the list is null", nameof(offsets)), null)));
    }

    public void Commit(ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.IsPartitionEOF || result.Message is null) throw new InvalidOperationException("a partition end is not a record and cannot be committed");
        Commit([new TopicPartitionOffset(result.Topic, result.Partition, result.Offset + 1, result.LeaderEpoch)]);
    }

    public void Commit(IEnumerable<TopicPartitionOffsetMetadata> offsets)
    {
        var list = ToCommit(offsets);
        ThrowIfClosed();
        _core.Commit(list);
    }

    public Task<List<TopicPartitionOffset>> CommitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _core.CommitStoredAsync(cancellationToken);
    }

    public Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        var list = ToCommit(offsets.Select(o => new TopicPartitionOffsetMetadata(o ?? throw new ArgumentException("an offset in the list is null", nameof(offsets)), null)));
        ThrowIfClosed();
        return _core.CommitAsync(list, cancellationToken);
    }

    private static List<OffsetToCommit> ToCommit(IEnumerable<TopicPartitionOffsetMetadata> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        return [.. offsets.Select(o =>
        {
            ArgumentNullException.ThrowIfNull(o, nameof(offsets));
            if (o.Offset.Value < 0 || o.Partition.Value < 0)
                throw new ArgumentException($"{o.Topic} [{o.Partition.Value}] @{o.Offset}: commit a real offset (the next record to read)", nameof(offsets));
            return new OffsetToCommit(o.Topic, o.Partition.Value, o.Offset.Value, o.LeaderEpoch ?? -1, o.Metadata);
        })];
    }

    public void StoreOffset(ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        ThrowIfClosed();
        if (result.IsPartitionEOF || result.Message is null) throw new InvalidOperationException("a partition end is not a record and cannot be stored");
        _core.StoreOffset(new TopicPartitionOffset(result.Topic, result.Partition, result.Offset + 1, result.LeaderEpoch));
    }

    public void StoreOffset(TopicPartitionOffset offset)
    {
        ThrowIfClosed();
        _core.StoreOffset(offset);
    }

    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout)
    {
        ThrowIfClosed();
        return _core.QueryWatermarks(topicPartition, timeout);
    }

    public WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition)
    {
        ThrowIfClosed();
        return _core.CachedWatermarks(topicPartition);
    }

    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout)
    {
        ThrowIfClosed();
        return _core.OffsetsForTimes(timestampsToSearch, timeout);
    }

    public void Close()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_core.IsClosed) return;
        if (_core.OnConsumeThread) throw new InvalidOperationException("Close cannot be called from a handler running inside Consume");
        _core.BeginClosing();
        // A Consume on another thread sees the consumer closing at its next pass and returns; the final revocation
        // (whose handlers run here) must not overlap it.
        var spin = new SpinWait();
        while (!_core.TryEnterConsume())
        {
            if (spin.Count > 100) Thread.Sleep(5);
            spin.SpinOnce();
        }
        Exception? failure = null;
        try
        {
            if (Member is { } member) failure = member.Close(_core.Settings.Connection.RequestTimeout);
        }
        finally
        {
            _core.ExitConsume();
            _core.Close();
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Releases the consumer. Without Close first, a group member neither commits nor leaves the group (as in
    /// Confluent.Kafka): the group reassigns its partitions after session.timeout.ms.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_core.IsClosed) Member?.Abandon();
        _core.Dispose();
    }

    private void ThrowIfClosed()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_core.IsClosed) throw new InvalidOperationException("the consumer is closed");
    }

    private void ThrowIfClosing()
    {
        ThrowIfClosed();
        if (_core.IsClosing) throw new InvalidOperationException("the consumer is closing");
    }

    private void ThrowIfSubscribed()
    {
        if (Member is { OwnsAssignment: true })
            throw new InvalidOperationException("the consumer is subscribed: the group assigns its partitions; Assign and Subscribe exclude each other (Unsubscribe first)");
    }
}
