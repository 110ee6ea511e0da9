namespace Gregor.Client;

/// <summary>
/// Consume failed: a partition error (offset out of range with auto.offset.reset=none, an unknown topic, a corrupt
/// batch) or a key/value that did not deserialize. <see cref="ConsumerRecord"/> has what is known of the record:
/// for a deserialization failure its raw bytes, otherwise at least the topic, partition and offset.
/// </summary>
public class ConsumeException : KafkaException
{
    public ConsumeException(ConsumeResult<byte[], byte[]> consumerRecord, Error error)
        : base(error) => ConsumerRecord = consumerRecord ?? throw new ArgumentNullException(nameof(consumerRecord));

    public ConsumeException(ConsumeResult<byte[], byte[]> consumerRecord, Error error, Exception? innerException)
        : base(error, innerException) => ConsumerRecord = consumerRecord ?? throw new ArgumentNullException(nameof(consumerRecord));

    public ConsumeResult<byte[], byte[]> ConsumerRecord { get; }
}
