namespace Gregor.Client.Producer;

/// <summary>
/// An idempotent producer's identity and sequence numbering, after the Java client's TransactionManager for a
/// producer without a transactional id, made simpler by this producer's one batch in flight per partition: the
/// broker has then acknowledged every batch of a partition before its next is numbered, so no sequence is ever
/// "unresolved" and a batch's number is fixed when it is first sent. The producer id and epoch come from
/// InitProducerId (<see cref="SetIdentity"/>). A refusal about a batch's sequence is judged as the Java client judges
/// it (<see cref="Judge"/>): a real gap or lost producer state bumps the epoch here, without asking a broker (the
/// broker takes a higher epoch from sequence 0), and the partition starts again at 0 under it (KIP-360); at the last
/// epoch (short.MaxValue) a new producer id is asked for instead. A numbered batch that fails for good voids its
/// partition's numbering too (<see cref="RecordAccumulator.VoidNumbering"/>), so the next batch leaves no gap.
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
            queue.LastAckedSequence = -1;
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
        queue.LastAckedSequence = -1;
    }

    /// <summary>The broker acknowledged <paramref name="batch"/> (hold the queue's lock): its last sequence is the partition's last acknowledged one.</summary>
    public static void Acknowledged(PartitionQueue queue, ProducerBatch batch)
    {
        if (batch.HasSequence && queue.SequenceProducerId == batch.ProducerId && queue.SequenceEpoch == batch.ProducerEpoch)
            queue.LastAckedSequence = batch.LastSequence;
    }

    /// <summary>
    /// What a refusal of the numbered, in-flight <paramref name="batch"/> calls for (hold the queue's lock), as the Java
    /// client's TransactionManager.canRetry decides for a producer without a transactional id: every sequence refusal
    /// is retried, and the epoch is bumped only when the refusal means the broker really lacks what came before.
    /// UNKNOWN_PRODUCER_ID without a log start offset (the partition moved while the answer was made) is retried as it
    /// was; one for a batch already renumbered is the echo of the loss that renumbered it; otherwise the broker lost
    /// this producer's state, whether retention removed its data (the log start passed its last acknowledged offset)
    /// or not, and the epoch is bumped. OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the partition's next after
    /// its last acknowledged sequence, or that was renumbered, is not a gap this batch shows, so it is retried as it
    /// was; for the next batch it is a real gap, and the epoch is bumped.
    /// </summary>
    public static SequenceRefusal Judge(PartitionQueue queue, ProducerBatch batch, Gregor.Protocol.ErrorCode error, long logStartOffset)
    {
        if (!batch.HasSequence) return SequenceRefusal.NotASequenceError;
        switch (error)
        {
            case Gregor.Protocol.ErrorCode.UnknownProducerId:
                if (logStartOffset < 0 || batch.SequenceWasReset) return SequenceRefusal.RetryUnchanged;
                return SequenceRefusal.BumpEpochAndRenumber;
            case Gregor.Protocol.ErrorCode.OutOfOrderSequenceNumber:
                bool next = queue.SequenceProducerId == batch.ProducerId && queue.SequenceEpoch == batch.ProducerEpoch
                    && batch.BaseSequence == (int)((queue.LastAckedSequence + 1L) % ((long)int.MaxValue + 1));
                if (batch.SequenceWasReset || !next) return SequenceRefusal.RetryUnchanged;
                return SequenceRefusal.BumpEpochAndRenumber;
            default:
                return SequenceRefusal.NotASequenceError;
        }
    }
}

/// <summary>What a broker's refusal of a numbered batch calls for (<see cref="ProducerIdentity.Judge"/>).</summary>
internal enum SequenceRefusal
{
    /// <summary>The error is not about the batch's sequence: it is retried if retriable, else failed.</summary>
    NotASequenceError,

    /// <summary>Resent with its number unchanged (within retries and delivery.timeout.ms).</summary>
    RetryUnchanged,

    /// <summary>The epoch is bumped and the batch resent renumbered from sequence 0 (within retries and delivery.timeout.ms).</summary>
    BumpEpochAndRenumber,
}
