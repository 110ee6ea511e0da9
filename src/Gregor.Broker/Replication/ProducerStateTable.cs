using Gregor.Protocol;

namespace Gregor.Broker.Replication;

/// <summary>
/// Per-partition state of idempotent producers: the epoch and the sequence numbers of the last batches each
/// producer id wrote, so a retried batch is answered with its first offset instead of being written twice,
/// and a gap in sequences is refused (Kafka's ProducerStateManager checks, kept in memory only: after a
/// restart every producer is unknown again, and unknown producers may start at any sequence, as in Kafka
/// when their state has expired).
/// </summary>
internal sealed class ProducerStateTable
{
    /// <summary>Kafka keeps the last five batches of each producer, the most a producer may have in flight.</summary>
    public const int RetainedBatches = 5;

    /// <summary>Kafka's producer.id.expiration.ms default: state of a producer silent this long is dropped.</summary>
    public const long ExpirationMs = 24L * 60 * 60 * 1000;

    private readonly Dictionary<long, ProducerEntry> _producers = [];

    public int Count => _producers.Count;

    /// <summary>
    /// Checks a batch against the producer's state. On <see cref="ErrorCode.None"/> with
    /// <paramref name="duplicateOfOffset"/> set, the batch was already written at that first offset.
    /// </summary>
    public ErrorCode Check(long producerId, short epoch, int firstSequence, int lastSequence, out long duplicateOfOffset)
    {
        duplicateOfOffset = -1;
        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry))
            return ErrorCode.None;
        if (epoch < entry.Epoch)
            return ErrorCode.InvalidProducerEpoch;
        if (epoch > entry.Epoch)
            return firstSequence == 0 ? ErrorCode.None : ErrorCode.OutOfOrderSequenceNumber;
        foreach (BatchSequence batch in entry.Recent)
        {
            if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
            {
                duplicateOfOffset = batch.FirstOffset;
                return ErrorCode.None;
            }
        }
        bool inSequence = firstSequence == entry.LastSequence + 1 || (firstSequence == 0 && entry.LastSequence == int.MaxValue);
        return inSequence ? ErrorCode.None : ErrorCode.OutOfOrderSequenceNumber;
    }

    /// <summary>Records a batch that was appended.</summary>
    public void Record(long producerId, short epoch, int firstSequence, int lastSequence, long firstOffset, long nowMs)
    {
        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry) || epoch != entry.Epoch)
        {
            entry = new ProducerEntry(epoch);
            _producers[producerId] = entry;
        }
        if (entry.Recent.Count == RetainedBatches)
            entry.Recent.Dequeue();
        entry.Recent.Enqueue(new BatchSequence(firstSequence, lastSequence, firstOffset));
        entry.LastSequence = lastSequence;
        entry.LastWriteMs = nowMs;
    }

    /// <summary>Drops producers silent for <see cref="ExpirationMs"/>; returns how many.</summary>
    public int RemoveExpired(long nowMs)
    {
        int removed = 0;
        foreach ((long id, ProducerEntry entry) in _producers)
        {
            if (nowMs - entry.LastWriteMs >= ExpirationMs && _producers.Remove(id))
                removed++;
        }
        return removed;
    }

    private sealed class ProducerEntry(short epoch)
    {
        public short Epoch { get; } = epoch;
        public int LastSequence { get; set; } = -1;
        public long LastWriteMs { get; set; }
        public Queue<BatchSequence> Recent { get; } = new(RetainedBatches);
    }

    private readonly record struct BatchSequence(int FirstSequence, int LastSequence, long FirstOffset);
}
