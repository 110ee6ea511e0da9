namespace Gregor.Client;

/// <summary>What <see cref="IConsumer{TKey, TValue}.Consume(TimeSpan)"/> returns: a record and where it was, or the end of a partition.</summary>
public class ConsumeResult<TKey, TValue>
{
    public string Topic { get; set; } = "";

    public Partition Partition { get; set; }

    /// <summary>The record's offset; for a partition end, the offset the next record will get.</summary>
    public Offset Offset { get; set; } = Offset.Unset;

    /// <summary>The partition leader epoch of the batch the record came in; null when the broker did not stamp one.</summary>
    public int? LeaderEpoch { get; set; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public TopicPartitionOffset TopicPartitionOffset
    {
        get => new(Topic, Partition, Offset, LeaderEpoch);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Topic = value.Topic;
            Partition = value.Partition;
            Offset = value.Offset;
            LeaderEpoch = value.LeaderEpoch;
        }
    }

    /// <summary>The record: key, value, headers and timestamp. Null when <see cref="IsPartitionEOF"/> (as in Confluent.Kafka).</summary>
    public Message<TKey, TValue> Message { get; set; } = null!;

    /// <summary>
    /// True when this result reports that the consumer reached the end of the partition (the high watermark seen
    /// in the last fetch) rather than a record; only with <c>enable.partition.eof=true</c>, once per time the end is reached.
    /// </summary>
    public bool IsPartitionEOF { get; set; }
}
