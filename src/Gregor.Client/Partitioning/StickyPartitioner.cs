using System.Collections.Concurrent;

namespace Gregor.Client.Partitioning;

/// <summary>
/// KIP-480's sticky partitioning for records without a key: every such record of a topic goes to one partition
/// until a batch for that partition completes; then a new partition is drawn at random among the available
/// ones other than the previous (all partitions when none is available). Batches fill up instead of many
/// small ones being sent, which is what lowers latency compared with round-robin.
/// </summary>
public sealed class StickyPartitioner : IPartitioner
{
    private readonly ConcurrentDictionary<string, int> _current = new(StringComparer.Ordinal);
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    /// <param name="random">Injected so tests are repeatable; a new unseeded Random when null.</param>
    public StickyPartitioner(Random? random = null) => _random = random ?? new Random();

    public int Partition(string topic, int partitionCount, ReadOnlySpan<int> availablePartitions, ReadOnlySpan<byte> key, bool keyIsNull)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        if (_current.TryGetValue(topic, out int partition) && partition < partitionCount)
            return partition;
        return Switch(topic, partitionCount, availablePartitions, previous: -1);
    }

    public void OnBatchCompleted(string topic, int partitionCount, ReadOnlySpan<int> availablePartitions, int partition)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        // Only the batch of the partition we stick to moves us on; batches of keyed records elsewhere do not.
        if (_current.TryGetValue(topic, out int current) && current == partition)
            Switch(topic, partitionCount, availablePartitions, previous: partition);
    }

    /// <summary>The partition records without a key go to now, or -1 before the first.</summary>
    public int CurrentPartition(string topic) => _current.TryGetValue(topic, out int partition) ? partition : -1;

    private int Switch(string topic, int partitionCount, ReadOnlySpan<int> availablePartitions, int previous)
    {
        int next;
        int validAvailable = 0;
        foreach (int p in availablePartitions)
            if ((uint)p < (uint)partitionCount) validAvailable++;

        lock (_randomLock)
        {
            if (validAvailable == 0)
            {
                next = partitionCount == 1 || previous < 0
                    ? _random.Next(partitionCount)
                    : (previous + 1 + _random.Next(partitionCount - 1)) % partitionCount; // any but previous
            }
            else
            {
                bool excludePrevious = validAvailable > 1 && availablePartitions.Contains(previous);
                int choices = excludePrevious ? validAvailable - 1 : validAvailable;
                int pick = _random.Next(choices);
                next = -1;
                foreach (int p in availablePartitions)
                {
                    if ((uint)p >= (uint)partitionCount || (excludePrevious && p == previous)) continue;
                    if (pick-- == 0)
                    {
                        next = p;
                        break;
                    }
                }
            }
        }
        _current[topic] = next;
        return next;
    }
}
