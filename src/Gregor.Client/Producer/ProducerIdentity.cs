namespace Gregor.Client.Producer;

/// <summary>
/// An idempotent producer's identity and sequence numbering, after the Java client's TransactionManager for a
/// producer without a transactional id. The producer id and epoch come from InitProducerId (<see cref="SetIdentity"/>).
/// A partition's batches are numbered in order when first sent, several may be in flight, and a batch resent keeps
/// its number; a partition's batches go one at a time until one of them is acknowledged under the current producer id
/// (<see cref="LeaderHasState"/>), since until then its leader may hold no state for the producer and take any sequence.
/// A refusal about a batch's sequence is judged as the Java client judges it (<see cref="Judge"/>): a real
/// gap or lost producer state bumps the epoch here, without asking a broker (the broker takes a higher epoch from
/// sequence 0), and the partition's numbering starts again at 0 under it (KIP-360): every batch of the partition not
/// yet done that carries a number has it voided and gets a new one, in the partition's order, when next sent
/// (<see cref="RestartNumbering"/>); none is numbered under the new epoch while a batch of the old one is still in
/// flight. At the last epoch (short.MaxValue) a new producer id is asked for instead. A numbered batch refused for
/// good voids its partition's numbering too (<see cref="RecordAccumulator.VoidNumbering"/>), so the next batch leaves
/// no gap; one that fails with its fate unknown (timed out) leaves the sequences after it unresolved until the answers
/// of the batches after it tell whether it was written (<see cref="MarkUnresolved"/>). A batch refused out of order at or
/// below the last acknowledged sequence can never be written: it fails and the epoch is bumped.
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

    /// <summary>Whether the partition numbers under the current producer id and epoch (hold the queue's lock).</summary>
    public bool NumbersCurrently(PartitionQueue queue)
    {
        lock (_lock) return _producerId >= 0 && queue.SequenceProducerId == _producerId && queue.SequenceEpoch == _epoch;
    }

    /// <summary>
    /// Whether the partition's leader is known to hold this producer's state under the current producer id (hold the
    /// queue's lock; see <see cref="PartitionQueue.StateKnownProducerId"/>): only then may several of its batches be in flight.
    /// </summary>
    public bool LeaderHasState(PartitionQueue queue)
    {
        lock (_lock) return _producerId >= 0 && queue.StateKnownProducerId == _producerId;
    }

    /// <summary>
    /// The broker answered UNKNOWN_PRODUCER_ID for the partition (hold the queue's lock): it holds no state for this
    /// producer, so it would take any sequence again, and the partition goes back to one batch in flight until one is
    /// acknowledged.
    /// </summary>
    public static void StateLost(PartitionQueue queue) => queue.StateKnownProducerId = -1;

    /// <summary>
    /// Numbers <paramref name="batch"/>, the next batch of <paramref name="queue"/> to be sent (hold the queue's lock):
    /// the partition's next sequence under the current id and epoch, from 0 when those changed since its last batch
    /// (the caller sees that no batch of the old ones is in flight then). False while there is no producer id.
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

    /// <summary>
    /// The partition's numbering is void (a batch was refused for its sequence, or failed for good with its fate unknown;
    /// hold the queue's lock): it starts again at 0, and every batch not yet done that carries a number, in flight or
    /// waiting, is numbered afresh when next sent, in the partition's order (the Java client rewrites its in-flight
    /// batches' sequences the same way when it bumps the epoch).
    /// </summary>
    public static void RestartNumbering(PartitionQueue queue)
    {
        foreach (var batch in queue)
            if (batch.Outcome is null && batch.HasSequence) batch.ClearSequence();
        queue.SequenceProducerId = -1;
        queue.SequenceEpoch = -1;
        queue.NextSequence = 0;
        queue.LastAckedSequence = -1;
        queue.UnresolvedNext = -1;
    }

    /// <summary>
    /// The numbered <paramref name="batch"/> failed with its fate unknown (hold the queue's lock): unless a later batch was
    /// acknowledged already (so it was written), its partition's sequences after it are unresolved. Voiding them now could
    /// number again a batch that was written (if this one was, the ones after it may have been too): a duplicate.
    /// </summary>
    public static void MarkUnresolved(PartitionQueue queue, ProducerBatch batch)
    {
        if (!batch.HasSequence || queue.SequenceProducerId != batch.ProducerId || queue.SequenceEpoch != batch.ProducerEpoch) return;
        if (queue.LastAckedSequence >= 0 && !IsAfter(batch.LastSequence, queue.LastAckedSequence)) return;
        int next = Next(batch.LastSequence);
        if (queue.UnresolvedNext < 0 || IsAfter(next, queue.UnresolvedNext)) queue.UnresolvedNext = next;
    }

    /// <summary>
    /// The partition's next batch needs a number while its sequences are unresolved and nothing of it is in flight (hold
    /// the queue's lock): every batch after the unresolved one has been answered. If the broker acknowledged up to the last
    /// sequence given, all was written; otherwise the epoch is bumped and numbering starts again at 0 (nothing numbered
    /// is left to renumber).
    /// </summary>
    public void Resolve(PartitionQueue queue)
    {
        if (queue.UnresolvedNext < 0) return;
        if (NumbersCurrently(queue) && Next(queue.LastAckedSequence) != queue.NextSequence)
        {
            BumpEpoch(queue.SequenceProducerId, queue.SequenceEpoch);
            RestartNumbering(queue);
        }
        queue.UnresolvedNext = -1;
    }

    private static int Next(int sequence) => (int)((sequence + 1L) % ((long)int.MaxValue + 1));

    /// <summary>
    /// The broker acknowledged <paramref name="batch"/> (hold the queue's lock): its last sequence is the partition's last
    /// acknowledged one, unless a later batch's acknowledgement was applied first (answers of several requests in flight
    /// are applied on their own threads).
    /// </summary>
    public static void Acknowledged(PartitionQueue queue, ProducerBatch batch)
    {
        // Written (and with acks=all committed) under this id: every leader of the partition now holds its state.
        if (batch.WasNumbered) queue.StateKnownProducerId = batch.ProducerId;
        if (!batch.HasSequence || queue.SequenceProducerId != batch.ProducerId || queue.SequenceEpoch != batch.ProducerEpoch) return;
        if (queue.LastAckedSequence < 0 || IsAfter(batch.LastSequence, queue.LastAckedSequence)) queue.LastAckedSequence = batch.LastSequence;
        // Acknowledged past an unresolved batch: that one was written.
        if (queue.UnresolvedNext >= 0 && !IsAfter(queue.UnresolvedNext, Next(batch.LastSequence))) queue.UnresolvedNext = -1;
    }

    /// <summary>Whether sequence <paramref name="a"/> comes after <paramref name="b"/>, sequences wrapping from int.MaxValue to 0 (a window of half the range).</summary>
    private static bool IsAfter(int a, int b)
    {
        long distance = ((long)a - b + ((long)int.MaxValue + 1)) % ((long)int.MaxValue + 1);
        return distance > 0 && distance < (1L << 30);
    }

    /// <summary>
    /// What a refusal of the numbered, in-flight <paramref name="batch"/> calls for (hold the queue's lock), as the Java
    /// client's TransactionManager.canRetry decides for a producer without a transactional id: every sequence refusal
    /// is retried, and the epoch is bumped only when the refusal means the broker really lacks what came before.
    /// UNKNOWN_PRODUCER_ID without a log start offset (the partition moved while the answer was made) is retried as it
    /// was; one for a batch already renumbered (or whose number was voided while it was in flight) is the echo of the loss that renumbered it; otherwise the broker lost
    /// this producer's state, whether retention removed its data (the log start passed its last acknowledged offset)
    /// or not, and the epoch is bumped. OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the partition's next after
    /// its last acknowledged sequence, or that was renumbered, is not a gap this batch shows, so it is retried as it
    /// was; for the next batch it is a real gap, and the epoch is bumped; for a batch at or below the last acknowledged
    /// sequence under its own epoch it can never be written, so it fails at once and the epoch is bumped (the Java
    /// client resends it until retries or delivery.timeout.ms run out, then fails it and bumps the epoch the same way).
    /// </summary>
    public static SequenceRefusal Judge(PartitionQueue queue, ProducerBatch batch, Gregor.Protocol.ErrorCode error, long logStartOffset)
    {
        if (!batch.WasNumbered) return SequenceRefusal.NotASequenceError;
        switch (error)
        {
            case Gregor.Protocol.ErrorCode.UnknownProducerId:
                if (logStartOffset < 0 || batch.SequenceWasReset) return SequenceRefusal.RetryUnchanged;
                return SequenceRefusal.BumpEpochAndRenumber;
            case Gregor.Protocol.ErrorCode.OutOfOrderSequenceNumber:
                bool current = queue.SequenceProducerId == batch.ProducerId && queue.SequenceEpoch == batch.ProducerEpoch;
                // At or below the last acknowledged sequence under its own epoch: the broker has moved past it and will
                // never take it (written, it would have been answered as a duplicate), so resending it would go on for ever.
                if (current && batch.HasSequence && queue.LastAckedSequence >= 0 && !IsAfter(batch.BaseSequence, queue.LastAckedSequence))
                    return SequenceRefusal.FailAndBumpEpoch;
                // After a batch whose fate is unknown, only the refusal of the batch right after it shows a gap (it was not written).
                if (queue.UnresolvedNext >= 0)
                    return current && batch.BaseSequence == queue.UnresolvedNext ? SequenceRefusal.BumpEpochAndRenumber : SequenceRefusal.RetryUnchanged;
                bool next = current && batch.BaseSequence == Next(queue.LastAckedSequence);
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

    /// <summary>Resent as it is: with its number unchanged, or numbered afresh if its number was voided meanwhile (within retries and delivery.timeout.ms).</summary>
    RetryUnchanged,

    /// <summary>The epoch is bumped and the batch resent renumbered from sequence 0 (within retries and delivery.timeout.ms).</summary>
    BumpEpochAndRenumber,

    /// <summary>
    /// The batch can never be written under its number (the broker acknowledged past it): it fails, and the epoch is
    /// bumped so the partition's next batch starts at 0 (as the Java client does when it fails a batch for an
    /// out-of-order sequence).
    /// </summary>
    FailAndBumpEpoch,
}
