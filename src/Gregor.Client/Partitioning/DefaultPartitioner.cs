namespace Gregor.Client.Partitioning;

/// <summary>
/// The Java client's built-in partitioning: a record with a key goes to murmur2(key) mod the partition count
/// (over all partitions, available or not, so the mapping is stable); a record without a key, or every record
/// when <c>partitioner.ignore.keys</c> is set, goes through the sticky partitioner.
/// </summary>
public sealed class DefaultPartitioner : IPartitioner
{
    private readonly StickyPartitioner _sticky;
    private readonly bool _ignoreKeys;

    public DefaultPartitioner(bool ignoreKeys = false, Random? random = null)
    {
        _ignoreKeys = ignoreKeys;
        _sticky = new StickyPartitioner(random);
    }

    public int Partition(string topic, int partitionCount, ReadOnlySpan<int> availablePartitions, ReadOnlySpan<byte> key, bool keyIsNull)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return keyIsNull || _ignoreKeys
            ? _sticky.Partition(topic, partitionCount, availablePartitions, key, keyIsNull)
            : Murmur2.PartitionForKey(key, partitionCount);
    }

    public void OnBatchCompleted(string topic, int partitionCount, ReadOnlySpan<int> availablePartitions, int partition) =>
        _sticky.OnBatchCompleted(topic, partitionCount, availablePartitions, partition);
}
