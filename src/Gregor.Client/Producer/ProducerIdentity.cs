namespace Gregor.Client.Producer;

/// <summary>
/// An idempotent producer's identity and sequence numbering, after the Java client's TransactionManager for a
/// producer without a transactional id, made simpler by this producer's one batch in flight per partition: the
/// broker has then acknowledged every batch of a partition before its next is numbered, so no sequence is ever
/// "unresolved" and a batch's number is fixed when it is first sent. The producer id and epoch come from
/// InitProducerId (<see cref="SetIdentity"/>). When the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER or
/// UNKNOWN_PRODUCER_ID for a batch of the current epoch it has lost this producer's state for the partition (KIP-360):
/// the epoch is bumped here, without asking a broker (the broker takes a higher epoch from sequence 0), and every
/// partition starts again at 0 under it; at the last epoch (short.MaxValue) a new producer id is asked for instead.
/// </summary>
internal sealed class ProducerIdentity
{
    private readonly object _lock = new();
    private long _producerId = -1;
    private short _epoch = -1;

    /// <summary>The producer id, or −1 while InitProducerId has not answered (or a new one is needed).</summary>
    public long ProducerId
    {
        get { lock (_lock) return _producerId; }
    }

    public short Epoch
    {
        get { lock (_lock) return _epoch; }
    }

    public bool HasId
    {
        get { lock (_lock) return _producerId >= 0; }
    }

    /// <summary>InitProducerId's answer.</summary>
    public void SetIdentity(long producerId, short epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(producerId);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        lock (_lock)
        {
            _producerId = producerId;
            _epoch = epoch;
        }
    }

    /// <summary>
    /// A batch sent as (<paramref name="producerId"/>, <paramref name="epoch"/>) found the broker without this
    /// producer's state: bumps the epoch, unless that batch's epoch is already behind (another partition bumped it
    /// first); at the last epoch drops the id, so a new one is asked for. Returns whether anything changed.
    /// </summary>
    public bool BumpEpoch(long producerId, short epoch)
    {
        lock (_lock)
        {
            if (producerId != _producerId || epoch != _epoch) return false;
            if (_epoch == short.MaxValue)
            {
                _producerId = -1;
                _epoch = -1;
            }
            else _epoch++;
            return true;
        }
    }

    /// <summary>
    /// Numbers <paramref name="batch"/>, the next batch of <paramref name="queue"/> to be sent (hold the queue's lock or
    /// own it as in flight): the partition's next sequence under the current id and epoch, from 0 when those changed
    /// since its last batch. False while there is no producer id.
    /// </summary>
    public bool TryNumber(PartitionQueue queue, ProducerBatch batch)
    {
        long producerId;
        short epoch;
        lock (_lock)
        {
            if (_producerId < 0) return false;
            producerId = _producerId;
            epoch = _epoch;
        }
        if (queue.SequenceProducerId != producerId || queue.SequenceEpoch != epoch)
        {
            queue.SequenceProducerId = producerId;
            queue.SequenceEpoch = epoch;
            queue.NextSequence = 0;
        }
        int first = queue.NextSequence;
        batch.SetSequence(producerId, epoch, first);
        // Sequences wrap from int.MaxValue to 0, as brokers expect.
        queue.NextSequence = (int)((first + (long)batch.Count) % ((long)int.MaxValue + 1));
        return true;
    }

    /// <summary>The partition's numbering is void (its batch in flight was refused for its sequence): the next batch starts again at 0.</summary>
    public static void RestartNumbering(PartitionQueue queue)
    {
        queue.SequenceProducerId = -1;
        queue.SequenceEpoch = -1;
        queue.NextSequence = 0;
    }
}
