namespace Gregor.Client.Producer;

/// <summary>
/// A partition's batches in order: closed ones waiting (the first possibly in flight), then the
/// open one still taking records. At most one batch per partition is in flight, so a retried
/// batch is always resent before anything behind it: order holds whatever
/// max.in.flight.requests.per.connection is (that setting bounds requests per connection, which
/// carry batches of different partitions).
/// Two locks, so that the sender taking, completing or retrying a batch never waits behind the
/// producing thread, which locks the open batch for every record it appends (a waiter on a lock
/// that busy goes to sleep, and on a loaded machine wakes milliseconds later):
/// <see cref="AppendLock"/> guards the open batch, <see cref="QueueLock"/> the closed batches and
/// the in-flight mark. Whoever needs both takes <see cref="AppendLock"/> first.
/// </summary>
internal sealed class PartitionQueue(ProducerTopic topic, int partition)
{
    private readonly Queue<ProducerBatch> _closed = new();

    public ProducerTopic ProducerTopic { get; } = topic;

    public string Topic => ProducerTopic.Name;

    public int Partition { get; } = partition;

    /// <summary>Held to append to, start or close the open batch.</summary>
    public object AppendLock { get; } = new();

    /// <summary>Held to look at or change the closed batches and <see cref="InFlight"/>.</summary>
    public object QueueLock { get; } = new();

    /// <summary>The batch taking records (under <see cref="AppendLock"/>).</summary>
    public ProducerBatch? Open { get; set; }

    /// <summary>Whether the first closed batch is in a request now (under <see cref="QueueLock"/>).</summary>
    public bool InFlight { get; set; }

    /// <summary>The producer id and epoch <see cref="NextSequence"/> counts under (under <see cref="QueueLock"/>); another id or epoch starts again at 0.</summary>
    public long SequenceProducerId { get; set; } = -1;

    /// <inheritdoc cref="SequenceProducerId"/>
    public short SequenceEpoch { get; set; } = -1;

    /// <summary>An idempotent producer's sequence number for the partition's next new batch (under <see cref="QueueLock"/>).</summary>
    public int NextSequence { get; set; }

    /// <summary>
    /// The last sequence the broker acknowledged under <see cref="SequenceProducerId"/> and <see cref="SequenceEpoch"/>,
    /// −1 while none was (under <see cref="QueueLock"/>): tells a real gap from a refusal that is not about this batch.
    /// </summary>
    public int LastAckedSequence { get; set; } = -1;

    /// <summary>The oldest closed batch, next to send (under <see cref="QueueLock"/>).</summary>
    public ProducerBatch? FirstClosed => _closed.Count > 0 ? _closed.Peek() : null;

    /// <summary>Moves the open batch behind the closed ones; it takes no more records. Hold both locks.</summary>
    public void CloseOpen()
    {
        if (Open is not { } open) return;
        _closed.Enqueue(open);
        Open = null;
    }

    /// <summary>Removes the oldest closed batch, which must be <paramref name="batch"/>. Hold <see cref="QueueLock"/>.</summary>
    public void RemoveFirstClosed(ProducerBatch batch)
    {
        if (_closed.Count == 0 || !ReferenceEquals(_closed.Peek(), batch))
            throw new InvalidOperationException($"batch for {Topic}-{Partition} completed out of order");
        _closed.Dequeue();
    }
}
