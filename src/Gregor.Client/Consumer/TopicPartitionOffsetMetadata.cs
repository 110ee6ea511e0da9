namespace Gregor.Client;

/// <summary>
/// An offset to commit, or one committed, with the metadata string stored beside it (Kafka's OffsetAndMetadata;
/// Confluent.Kafka has no place for the metadata). The offset is that of the next record to read.
/// </summary>
public sealed class TopicPartitionOffsetMetadata
{
    public TopicPartitionOffsetMetadata(TopicPartitionOffset offset, string? metadata)
    {
        ArgumentNullException.ThrowIfNull(offset);
        TopicPartitionOffset = offset;
        Metadata = metadata;
    }

    public TopicPartitionOffsetMetadata(string topic, Partition partition, Offset offset, int? leaderEpoch, string? metadata)
        : this(new TopicPartitionOffset(topic, partition, offset, leaderEpoch), metadata)
    {
    }

    public TopicPartitionOffset TopicPartitionOffset { get; }

    public string Topic => TopicPartitionOffset.Topic;

    public Partition Partition => TopicPartitionOffset.Partition;

    public Offset Offset => TopicPartitionOffset.Offset;

    public int? LeaderEpoch => TopicPartitionOffset.LeaderEpoch;

    /// <summary>What the committer stored with the offset; null or empty when nothing was.</summary>
    public string? Metadata { get; }

    public override string ToString() => $"{TopicPartitionOffset} '{Metadata}'";
}
