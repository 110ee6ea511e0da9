namespace Gregor.Client;

/// <summary>A Kafka producer, shaped like Confluent.Kafka's.</summary>
public interface IProducer<TKey, TValue> : IDisposable
{
    /// <summary>The client.id.</summary>
    string Name { get; }

    /// <summary>Sends a record to a topic (partition chosen by the partitioner) and completes when the broker acknowledged it (per acks).</summary>
    Task<DeliveryResult<TKey, TValue>> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    /// <summary>Sends a record to one partition (<see cref="Partition.Any"/>: let the partitioner choose).</summary>
    Task<DeliveryResult<TKey, TValue>> ProduceAsync(TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    /// <summary>Sends without waiting; the handler (if any) is called on a background thread once the outcome is known.</summary>
    void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null);

    void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null);

    /// <summary>Sends everything buffered now (ignoring linger.ms) and waits for it; returns how many records are still outstanding at the timeout.</summary>
    int Flush(TimeSpan timeout);

    void Flush(CancellationToken cancellationToken = default);
}
