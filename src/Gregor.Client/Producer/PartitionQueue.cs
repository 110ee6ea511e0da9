namespace Gregor.Client.Producer;

/// <summary>
/// A partition's batches in order: closed ones waiting (the head possibly in flight), then the
/// open one still taking records. At most one batch per partition is in flight, so a retried
/// batch is always resent before anything behind it: order holds whatever
/// max.in.flight.requests.per.connection is (that setting bounds requests per connection, which
/// carry batches of different partitions). Guarded by locking the queue itself.
/// </summary>
internal sealed class PartitionQueue(ProducerTopic topic, int partition)
{
    private readonly Queue<ProducerBatch> _closed = new();

    public ProducerTopic ProducerTopic { get; } = topic;

    public string Topic => ProducerTopic.Name;

    public int Partition { get; } = partition;

    public ProducerBatch? Open { get; set; }

    public bool InFlight { get; set; }

    public ProducerBatch? Head => _closed.Count > 0 ? _closed.Peek() : Open;

    public bool IsEmpty => _closed.Count == 0 && Open is null;

    /// <summary>Moves the open batch behind the closed ones; it takes no more records.</summary>
    public void CloseOpen()
    {
        if (Open is not { } open) return;
        open.IsClosed = true;
        _closed.Enqueue(open);
        Open = null;
    }

    /// <summary>Removes the head, which must be <paramref name="batch"/>.</summary>
    public void RemoveHead(ProducerBatch batch)
    {
        if (_closed.Count > 0 && ReferenceEquals(_closed.Peek(), batch)) _closed.Dequeue();
        else if (ReferenceEquals(Open, batch)) Open = null;
        else throw new InvalidOperationException($"batch for {Topic}-{Partition} completed out of order");
    }
}
