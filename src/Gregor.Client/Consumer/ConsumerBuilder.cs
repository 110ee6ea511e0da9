using Gregor.Client.Consumer;

namespace Gregor.Client;

/// <summary>Builds a consumer from Kafka client settings (see <see cref="ConsumerConfig"/>), deserializers and an error handler.</summary>
public class ConsumerBuilder<TKey, TValue>
{
    private readonly ConsumerConfig _config = new();
    private IDeserializer<TKey>? _keyDeserializer;
    private IDeserializer<TValue>? _valueDeserializer;
    private Action<IConsumer<TKey, TValue>, Error>? _errorHandler;

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

    /// <summary>Validates the settings (a <see cref="ConfigException"/> names every bad one) and starts the consumer.</summary>
    public IConsumer<TKey, TValue> Build() => Build(TimeProvider.System);

    internal IConsumer<TKey, TValue> Build(TimeProvider clock)
    {
        _config.Validate();
        var settings = ConsumerSettings.From(_config);
        return new Consumer<TKey, TValue>(settings,
            RecordDeserializer.Resolve(_keyDeserializer, MessageComponentType.Key),
            RecordDeserializer.Resolve(_valueDeserializer, MessageComponentType.Value),
            clock, _errorHandler);
    }
}
