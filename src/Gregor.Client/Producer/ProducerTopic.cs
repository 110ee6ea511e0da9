using Gregor.Client.Metadata;

namespace Gregor.Client.Producer;

/// <summary>
/// A topic this producer sends to: its partitions' queues by partition number, and the metadata entry the
/// producer last routed by. One per topic name for the producer's life, so the per-record path finds a
/// partition's queue by index, and the topic's metadata without a lookup while the snapshot is unchanged.
/// </summary>
internal sealed class ProducerTopic(string name)
{
    private PartitionQueue?[] _partitions = [];

    public string Name { get; } = name;

    /// <summary>The metadata entry last used for this topic and the snapshot it came from (replaced when metadata changes).</summary>
    public KnownTopicMetadata? Known { get; set; }

    /// <summary>The partition's queue, made (and handed to <paramref name="added"/>) on first use.</summary>
    public PartitionQueue Queue(int partition, Action<PartitionQueue> added)
    {
        var partitions = Volatile.Read(ref _partitions);
        if ((uint)partition < (uint)partitions.Length && partitions[partition] is { } queue) return queue;
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        lock (this)
        {
            partitions = _partitions;
            if (partition < partitions.Length && partitions[partition] is { } raced) return raced;
            // Copied, never changed in place: readers index the array they read without a lock.
            var grown = new PartitionQueue?[Math.Max(partition + 1, partitions.Length)];
            partitions.CopyTo(grown, 0);
            var created = new PartitionQueue(this, partition);
            grown[partition] = created;
            added(created);
            Volatile.Write(ref _partitions, grown);
            return created;
        }
    }
}

/// <summary>A topic's metadata entry and the snapshot it was read from.</summary>
internal sealed record KnownTopicMetadata(ClusterMetadata Snapshot, TopicMetadata Topic);
