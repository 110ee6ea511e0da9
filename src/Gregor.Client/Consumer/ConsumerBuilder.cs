using Gregor.Client.Consumer;

namespace Gregor.Client;

/// <summary>Builds a consumer from Kafka client settings (see <see cref="ConsumerConfig"/>), deserializers and an error handler.</summary>
public class ConsumerBuilder<TKey, TValue>
{
    private readonly ConsumerConfig _config = new();
    private IDeserializer<TKey>? _keyDeserializer;
    private IDeserializer<TValue>? _valueDeserializer;
    private Action<IConsumer<TKey, TValue>, Error>? _errorHandler;
    private Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>?>? _assignedHandler;
    private Func<IConsumer<TKey, TValue>, List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>?>? _revokedHandler;
    private Func<IConsumer<TKey, TValue>, List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>?>? _lostHandler;

    public ConsumerBuilder(IEnumerable<KeyValuePair<string, string>> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, value) in config) _config.Set(key, value);
    }

    public ConsumerBuilder<TKey, TValue> SetKeyDeserializer(IDeserializer<TKey> deserializer)
    {
        ArgumentNullException.ThrowIfNull(deserializer);
        if (_keyDeserializer is not null) throw new InvalidOperationException("The key deserializer may not be set more than once.");
        _keyDeserializer = deserializer;
        return this;
    }

    public ConsumerBuilder<TKey, TValue> SetValueDeserializer(IDeserializer<TValue> deserializer)
    {
        ArgumentNullException.ThrowIfNull(deserializer);
        if (_valueDeserializer is not null) throw new InvalidOperationException("The value deserializer may not be set more than once.");
        _valueDeserializer = deserializer;
        return this;
    }

    /// <summary>
    /// Called with errors that concern the client rather than one record (a broker unreachable, a failed
    /// auto-commit); on the thread calling Consume, from inside Consume. The client keeps retrying meanwhile.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetErrorHandler(Action<IConsumer<TKey, TValue>, Error> errorHandler)
    {
        ArgumentNullException.ThrowIfNull(errorHandler);
        if (_errorHandler is not null) throw new InvalidOperationException("The error handler may not be set more than once.");
        _errorHandler = errorHandler;
        return this;
    }

    /// <summary>
    /// Called when the group assigns partitions, before they are read, on the thread calling Consume (from inside
    /// Consume). Eager assignors (range, roundrobin) give the whole new assignment; cooperative-sticky only the
    /// partitions added. Return where each starts: <see cref="Offset.Unset"/> for the committed offset (else
    /// auto.offset.reset), Beginning, End or an offset; the partitions must be exactly those given. An exception
    /// the handler throws surfaces from Consume; the partitions are assigned all the same.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsAssignedHandler(
        Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>> partitionsAssignedHandler)
    {
        ArgumentNullException.ThrowIfNull(partitionsAssignedHandler);
        if (_assignedHandler is not null) throw new InvalidOperationException("The partitions assigned handler may not be specified more than once.");
        _assignedHandler = partitionsAssignedHandler;
        return this;
    }

    /// <summary>As the Func form, each partition starting at its committed offset (else auto.offset.reset).</summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsAssignedHandler(Action<IConsumer<TKey, TValue>, List<TopicPartition>> partitionAssignmentHandler)
    {
        ArgumentNullException.ThrowIfNull(partitionAssignmentHandler);
        return SetPartitionsAssignedHandler((consumer, partitions) =>
        {
            partitionAssignmentHandler(consumer, partitions);
            return [.. partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset))];
        });
    }

    /// <summary>
    /// Called before partitions are taken away in a rebalance (or by Unsubscribe and Close), with each partition's
    /// position, on the thread calling Consume (or Close). Commit here what a custom store needs; afterwards, with
    /// enable.auto.commit, the stored offsets of these partitions are committed, and nothing more of them is
    /// returned. Eager assignors revoke everything, cooperative-sticky only what moves. The Func form must return
    /// no partitions (the group decides the assignment).
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsRevokedHandler(
        Func<IConsumer<TKey, TValue>, List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>> partitionsRevokedHandler)
    {
        ArgumentNullException.ThrowIfNull(partitionsRevokedHandler);
        if (_revokedHandler is not null) throw new InvalidOperationException("The partitions revoked handler may not be specified more than once.");
        _revokedHandler = partitionsRevokedHandler;
        return this;
    }

    /// <summary>As the Func form.</summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsRevokedHandler(Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>> partitionsRevokedHandler)
    {
        ArgumentNullException.ThrowIfNull(partitionsRevokedHandler);
        return SetPartitionsRevokedHandler((consumer, partitions) =>
        {
            partitionsRevokedHandler(consumer, partitions);
            return [];
        });
    }

    /// <summary>
    /// Called when the consumer finds it has lost its partitions (it fell out of the group: a session or poll
    /// timeout, a fenced generation): they may belong to another member already, so nothing is committed. Without
    /// a lost handler the revoked handler is called instead (as in Confluent.Kafka).
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsLostHandler(
        Func<IConsumer<TKey, TValue>, List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>> partitionsLostHandler)
    {
        ArgumentNullException.ThrowIfNull(partitionsLostHandler);
        if (_lostHandler is not null) throw new InvalidOperationException("The partitions lost handler may not be specified more than once.");
        _lostHandler = partitionsLostHandler;
        return this;
    }

    /// <summary>As the Func form.</summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsLostHandler(Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>> partitionsLostHandler)
    {
        ArgumentNullException.ThrowIfNull(partitionsLostHandler);
        return SetPartitionsLostHandler((consumer, partitions) =>
        {
            partitionsLostHandler(consumer, partitions);
            return [];
        });
    }

    /// <summary>Validates the settings (a <see cref="ConfigException"/> names every bad one) and starts the consumer.</summary>
    public IConsumer<TKey, TValue> Build() => Build(TimeProvider.System);

    internal IConsumer<TKey, TValue> Build(TimeProvider clock)
    {
        _config.Validate();
        var settings = ConsumerSettings.From(_config);
        return new Consumer<TKey, TValue>(settings,
            RecordDeserializer.Resolve(_keyDeserializer, MessageComponentType.Key),
            RecordDeserializer.Resolve(_valueDeserializer, MessageComponentType.Value),
            clock, _errorHandler, new ConsumerHandlers<TKey, TValue>(_assignedHandler, _revokedHandler, _lostHandler));
    }
}

/// <summary>The rebalance handlers set on the builder.</summary>
internal sealed record ConsumerHandlers<TKey, TValue>(
    Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>?>? Assigned,
    Func<IConsumer<TKey, TValue>, List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>?>? Revoked,
    Func<IConsumer<TKey, TValue>, List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>?>? Lost);
