using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>
/// One batch an idempotent producer wrote, as Kafka keeps it: the last sequence and last offset, how far back the
/// batch's first offset (and first sequence) lies, and the batch's max timestamp. Auto layout packs it in 24 bytes.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ProducerBatchMetadata(int LastSequence, long LastOffset, int OffsetDelta, long Timestamp)
{
    public int FirstSequence => ProducerSequences.Decrement(LastSequence, OffsetDelta);

    public long FirstOffset => LastOffset - OffsetDelta;
}

/// <summary>Sequence numbers are int32 and wrap to 0 after int.MaxValue (Kafka's rule).</summary>
public static class ProducerSequences
{
    public static int Increment(int sequence, int increment) =>
        sequence > int.MaxValue - increment ? increment - (int.MaxValue - sequence) - 1 : sequence + increment;

    public static int Decrement(int sequence, int decrement) =>
        sequence < decrement ? int.MaxValue - (decrement - sequence) + 1 : sequence - decrement;

    /// <summary>Whether <paramref name="next"/> directly follows <paramref name="last"/>.</summary>
    public static bool InSequence(int last, int next) => next == last + 1L || (next == 0 && last == int.MaxValue);
}

/// <summary>
/// What a partition remembers of one producer id: its epoch, the last <see cref="RetainedBatches"/> batches it wrote
/// in that epoch (the most it may have in flight, so any retry is among them), and the timestamp of its last batch,
/// from which it expires. The batches live in the entry itself (a fixed ring), so recording a batch allocates nothing.
/// The coordinator epoch and the current transaction's first offset are carried for the snapshot format and are set
/// by nothing yet: transaction markers are the transactions issue's.
/// </summary>
public sealed class ProducerStateEntry
{
    /// <summary>Kafka's NUM_BATCHES_TO_RETAIN, matching max.in.flight.requests.per.connection's ceiling of 5 with idempotence.</summary>
    public const int RetainedBatches = 5;

    private RecentBatches _batches;
    private int _first;
    private int _count;

    internal ProducerStateEntry(long producerId) => ProducerId = producerId;

    public long ProducerId { get; internal set; }

    /// <summary>The producer's epoch; <see cref="RecordBatchHeader.NoProducerEpoch"/> until its first batch.</summary>
    public short Epoch { get; private set; } = RecordBatchHeader.NoProducerEpoch;

    /// <summary>Epoch of the last transaction coordinator that wrote a marker for this producer; -1 when none did.</summary>
    public int CoordinatorEpoch { get; internal set; } = -1;

    /// <summary>First offset of the producer's open transaction; -1 when it has none.</summary>
    public long CurrentTxnFirstOffset { get; internal set; } = -1;

    /// <summary>Max timestamp of the producer's last batch; expiry counts from it (Kafka's rule).</summary>
    public long LastTimestamp { get; private set; } = -1;

    public int BatchCount => _count;

    public bool IsEmpty => _count == 0;

    /// <summary>Last sequence written, or <see cref="RecordBatchHeader.NoSequence"/>.</summary>
    public int LastSequence => _count == 0 ? RecordBatchHeader.NoSequence : Last.LastSequence;

    /// <summary>Last offset written, or -1.</summary>
    public long LastDataOffset => _count == 0 ? -1 : Last.LastOffset;

    public int LastOffsetDelta => _count == 0 ? 0 : Last.OffsetDelta;

    private ref ProducerBatchMetadata Last => ref _batches[(_first + _count - 1) % RetainedBatches];

    /// <summary>The retained batch at <paramref name="index"/>, oldest first.</summary>
    public ProducerBatchMetadata Batch(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        return _batches[(_first + index) % RetainedBatches];
    }

    /// <summary>The retained batch with exactly this sequence range in <paramref name="epoch"/>: a retry of it.</summary>
    public bool TryFindDuplicate(short epoch, int firstSequence, int lastSequence, out ProducerBatchMetadata batch)
    {
        if (epoch == Epoch)
        {
            for (int index = 0; index < _count; index++)
            {
                ref ProducerBatchMetadata candidate = ref _batches[(_first + index) % RetainedBatches];
                if (candidate.LastSequence == lastSequence && candidate.FirstSequence == firstSequence)
                {
                    batch = candidate;
                    return true;
                }
            }
        }
        batch = default;
        return false;
    }

    /// <summary>Records a batch; a new epoch forgets the old epoch's batches (Kafka's rule).</summary>
    internal void AddBatch(short epoch, int lastSequence, long lastOffset, int offsetDelta, long timestamp)
    {
        SetEpoch(epoch);
        var batch = new ProducerBatchMetadata(lastSequence, lastOffset, offsetDelta, timestamp);
        if (_count == RetainedBatches)
        {
            _batches[_first] = batch;
            _first = (_first + 1) % RetainedBatches;
        }
        else
        {
            _batches[(_first + _count) % RetainedBatches] = batch;
            _count++;
        }
        LastTimestamp = timestamp;
    }

    /// <summary>Takes a snapshot's facts: the epoch, the timestamp, and the last batch when there was one.</summary>
    internal void Load(short epoch, int coordinatorEpoch, long currentTxnFirstOffset, long timestamp, ProducerBatchMetadata? lastBatch)
    {
        Clear();
        Epoch = epoch;
        CoordinatorEpoch = coordinatorEpoch;
        CurrentTxnFirstOffset = currentTxnFirstOffset;
        if (lastBatch is ProducerBatchMetadata batch)
            AddBatch(epoch, batch.LastSequence, batch.LastOffset, batch.OffsetDelta, batch.Timestamp);
        LastTimestamp = timestamp;
    }

    /// <summary>
    /// Puts a batch older than the entry's last one just before it: a snapshot gives a producer's earlier batches after
    /// its last, oldest first, so each goes after those before it. Past <see cref="RetainedBatches"/> the oldest goes.
    /// </summary>
    internal void InsertBeforeLast(ProducerBatchMetadata batch)
    {
        if (_count == 0)
            return;
        ProducerBatchMetadata last = Last;
        if (_count == RetainedBatches)
        {
            _first = (_first + 1) % RetainedBatches;
            _count--;
        }
        Last = batch;
        _batches[(_first + _count) % RetainedBatches] = last;
        _count++;
    }

    /// <summary>Makes the entry as new, for reuse by another producer id.</summary>
    internal void Reset(long producerId)
    {
        Clear();
        ProducerId = producerId;
        Epoch = RecordBatchHeader.NoProducerEpoch;
        CoordinatorEpoch = -1;
        CurrentTxnFirstOffset = -1;
        LastTimestamp = -1;
    }

    private void SetEpoch(short epoch)
    {
        if (epoch == Epoch)
            return;
        Clear();
        Epoch = epoch;
    }

    private void Clear()
    {
        _first = 0;
        _count = 0;
    }

    public override string ToString() =>
        $"Producer {ProducerId} epoch {Epoch}: {_count} batches, last sequence {LastSequence} at offset {LastDataOffset}, last timestamp {LastTimestamp}";

    [InlineArray(RetainedBatches)]
    private struct RecentBatches
    {
        private ProducerBatchMetadata _element;
    }
}
