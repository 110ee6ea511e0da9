namespace Gregor.Client.Producer;

/// <summary>
/// A partition's batches in order: closed ones (in flight, waiting to be sent or resent, or done and waiting for the
/// ones ahead of them to be completed), then the open one still taking records. Up to
/// max.in.flight.requests.per.connection closed batches are in flight at once, as in the Java client; a batch put back
/// for a retry keeps its place, so it goes out again ahead of every newer batch, and records are completed in the
/// partition's order whatever order their answers are applied in.
/// Two locks, so that the sender taking, completing or retrying a batch never waits behind the producing thread,
/// which locks the open batch for every record it appends (a waiter on a lock that busy goes to sleep, and on a
/// loaded machine wakes milliseconds later): <see cref="AppendLock"/> guards the open batch, <see cref="QueueLock"/>
/// the closed batches, their in-flight marks and outcomes, and the numbering. Whoever needs both takes
/// <see cref="AppendLock"/> first.
/// </summary>
internal sealed class PartitionQueue(ProducerTopic topic, int partition)
{
    private readonly Queue<ProducerBatch> _closed = new();

    public ProducerTopic ProducerTopic { get; } = topic;

    public string Topic => ProducerTopic.Name;

    public int Partition { get; } = partition;

    /// <summary>Held to append to, start or close the open batch.</summary>
    public object AppendLock { get; } = new();

    /// <summary>Held to look at or change the closed batches, their marks, <see cref="InFlightCount"/> and the numbering.</summary>
    public object QueueLock { get; } = new();

    /// <summary>The batch taking records (under <see cref="AppendLock"/>).</summary>
    public ProducerBatch? Open { get; set; }

    /// <summary>How many closed batches are in a request now (under <see cref="QueueLock"/>).</summary>
    public int InFlightCount { get; set; }

    /// <summary>Whether a thread is completing the done batches at the head (under <see cref="QueueLock"/>): one at a time, so records complete in order.</summary>
    public bool Finishing { get; set; }

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

    /// <summary>
    /// The sequence after a numbered batch that failed with its fate unknown (timed out, written or not), −1 while none
    /// did (under <see cref="QueueLock"/>). Until it is resolved no new batch is numbered; the numbered ones behind it are
    /// resent unchanged, and their answers tell: an acknowledgement past it means it was written, a refusal of the batch
    /// right after it as out of order means it was not (as the Java client's unresolved sequences).
    /// </summary>
    public int UnresolvedNext { get; set; } = -1;

    /// <summary>
    /// The producer id under which the partition's leader is known to hold this producer's state: a numbered batch of it
    /// was acknowledged (under any epoch), and the broker has not said since that it lost the state (UNKNOWN_PRODUCER_ID).
    /// −1 while none (under <see cref="QueueLock"/>). Until it is the current id, one batch of the partition is in flight
    /// at a time: a leader without the producer's state takes any sequence (KIP-360), so a later batch could be written
    /// ahead of an earlier one refused for another reason, which could then never be written. Once a batch is
    /// acknowledged it is committed, so any leader has the state and refuses a gap. A new producer id leaves it behind by
    /// itself; an epoch bump on the same id does not (the broker's state refuses a new epoch not starting at 0).
    /// </summary>
    public long StateKnownProducerId { get; set; } = -1;

    /// <summary>The closed batches, oldest first (under <see cref="QueueLock"/>; allocation-free).</summary>
    public Queue<ProducerBatch>.Enumerator GetEnumerator() => _closed.GetEnumerator();

    /// <summary>Whether a closed batch is neither in flight nor done (under <see cref="QueueLock"/>).</summary>
    public bool HasWaiting()
    {
        foreach (var batch in _closed)
            if (!batch.InFlight && batch.Outcome is null) return true;
        return false;
    }

    /// <summary>Moves the open batch behind the closed ones; it takes no more records. Hold both locks.</summary>
    public void CloseOpen()
    {
        if (Open is not { } open) return;
        _closed.Enqueue(open);
        Open = null;
    }

    /// <summary>Takes the oldest closed batch off the partition if it is done (hold <see cref="QueueLock"/>).</summary>
    public ProducerBatch? TakeDoneHead()
    {
        if (_closed.Count == 0 || _closed.Peek().Outcome is null) return null;
        return _closed.Dequeue();
    }
}
