namespace Gregor.Client.Consumer;

/// <summary>
/// The application's rebalance handlers without the consumer's key and value types (the typed consumer closes
/// over itself). Assigned may return where each partition starts (null: the committed offset, else
/// auto.offset.reset); revoked and lost get each partition with its position and may return nothing but an
/// empty list (under group membership the group, not the handler, decides the assignment).
/// </summary>
internal sealed record RebalanceHandlers(
    Func<List<TopicPartition>, IEnumerable<TopicPartitionOffset>?>? Assigned,
    Func<List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>?>? Revoked,
    Func<List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>?>? Lost)
{
    public static readonly RebalanceHandlers None = new(null, null, null);
}
