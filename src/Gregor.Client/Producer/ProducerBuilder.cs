using Gregor.Client.Partitioning;
using Gregor.Client.Producer;

namespace Gregor.Client;

/// <summary>Builds a producer from Kafka client settings (see <see cref="ProducerConfig"/>) and optional serializers.</summary>
public class ProducerBuilder<TKey, TValue>
{
    private readonly ProducerConfig _config = new();
    private ISerializer<TKey>? _keySerializer;
    private ISerializer<TValue>? _valueSerializer;

    public ProducerBuilder(IEnumerable<KeyValuePair<string, string>> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, value) in config) _config.Set(key, value);
    }

    public ProducerBuilder<TKey, TValue> SetKeySerializer(ISerializer<TKey> serializer)
    {
        _keySerializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        return this;
    }

    public ProducerBuilder<TKey, TValue> SetValueSerializer(ISerializer<TValue> serializer)
    {
        _valueSerializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        return this;
    }

    /// <summary>Validates the settings (a <see cref="ConfigException"/> names every bad one) and starts the producer.</summary>
    public IProducer<TKey, TValue> Build()
    {
        _config.Validate();
        var settings = ProducerSettings.From(_config);
        return new Producer<TKey, TValue>(settings, RecordSerializer<TKey>.Create(_keySerializer, MessageComponentType.Key),
            RecordSerializer<TValue>.Create(_valueSerializer, MessageComponentType.Value), TimeProvider.System,
            new DefaultPartitioner(settings.PartitionerIgnoreKeys));
    }
}
