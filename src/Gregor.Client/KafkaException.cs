namespace Gregor.Client;

/// <summary>An operation failed with a Kafka error (broker or local).</summary>
public class KafkaException : Exception
{
    public KafkaException(Error error)
        : base(error?.ToString() ?? throw new ArgumentNullException(nameof(error))) => Error = error;

    public KafkaException(Error error, Exception? innerException)
        : base(error?.ToString() ?? throw new ArgumentNullException(nameof(error)), innerException) => Error = error;

    public KafkaException(ErrorCode code)
        : this(new Error(code))
    {
    }

    public Error Error { get; }
}

/// <summary>A produce request failed; carries what was known about the record.</summary>
public class ProduceException<TKey, TValue> : KafkaException
{
    public ProduceException(Error error, DeliveryResult<TKey, TValue> deliveryResult)
        : base(error) => DeliveryResult = deliveryResult;

    public ProduceException(Error error, DeliveryResult<TKey, TValue> deliveryResult, Exception? innerException)
        : base(error, innerException) => DeliveryResult = deliveryResult;

    public DeliveryResult<TKey, TValue> DeliveryResult { get; }
}
