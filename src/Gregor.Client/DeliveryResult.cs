namespace Gregor.Client;

/// <summary>What is known about whether a produced record reached the log.</summary>
public enum PersistenceStatus
{
    /// <summary>The record certainly did not reach the log.</summary>
    NotPersisted = 0,

    /// <summary>The record was sent but no answer came (e.g. a timeout after sending).</summary>
    PossiblyPersisted = 1,

    /// <summary>The broker acknowledged the record.</summary>
    Persisted = 2,
}

/// <summary>The outcome of producing a record: where it landed and what it was.</summary>
public class DeliveryResult<TKey, TValue>
{
    public string Topic { get; set; } = "";

    public Partition Partition { get; set; } = Partition.Any;

    public Offset Offset { get; set; } = Offset.Unset;

    public PersistenceStatus Status { get; set; }

    // Made on first read, not up front: the producer sets it for every record, so an initializer would allocate a
    // message per delivery report only to throw it away.
    private Message<TKey, TValue>? _message;

    public Message<TKey, TValue> Message
    {
        get => _message ??= new();
        set => _message = value;
    }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public TopicPartitionOffset TopicPartitionOffset
    {
        get => new(Topic, Partition, Offset);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Topic = value.Topic;
            Partition = value.Partition;
            Offset = value.Offset;
        }
    }

    public TKey Key
    {
        get => Message.Key;
        set => Message.Key = value;
    }

    public TValue Value
    {
        get => Message.Value;
        set => Message.Value = value;
    }

    public Timestamp Timestamp
    {
        get => Message.Timestamp;
        set => Message.Timestamp = value;
    }

    public Headers? Headers
    {
        get => Message.Headers;
        set => Message.Headers = value;
    }
}

/// <summary>A delivery result with its error, as handed to a delivery handler.</summary>
public class DeliveryReport<TKey, TValue> : DeliveryResult<TKey, TValue>
{
    private static readonly Error NoError = new(ErrorCode.NoError);

    // Errors are immutable, so every report without one shares a single NoError rather than allocating its own.
    private Error? _error;

    public Error Error
    {
        get => _error ?? NoError;
        set => _error = value;
    }

    public TopicPartitionOffsetError TopicPartitionOffsetError
    {
        get => new(Topic, Partition, Offset, Error);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Topic = value.Topic;
            Partition = value.Partition;
            Offset = value.Offset;
            Error = value.Error;
        }
    }
}

/// <summary>A topic, partition and offset with the error met there.</summary>
public sealed class TopicPartitionOffsetError
{
    public TopicPartitionOffsetError(string topic, Partition partition, Offset offset, Error error)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(error);
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Error = error;
    }

    public string Topic { get; }

    public Partition Partition { get; }

    public Offset Offset { get; }

    public Error Error { get; }

    public TopicPartitionOffset TopicPartitionOffset => new(Topic, Partition, Offset);

    public override string ToString() => $"{Topic} {Partition} @{Offset}: {Error}";
}
