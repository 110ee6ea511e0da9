using Gregor.Protocol.Records;

namespace Gregor.Broker.Replication;

/// <summary>
/// Idempotent producers' batches this broker refused for a partition before writing them (not its leader yet, too few
/// in-sync replicas, an id not yet known): per producer, the lowest sequence refused, for <see cref="TtlMs"/>.
/// librdkafka takes a later batch's acceptance as proof that every earlier one was written and acknowledges them
/// without an answer of their own, which holds while a broker takes a producer's sequences only in order. A leader with
/// no state for a producer takes any sequence (KIP-360, as Kafka's does), so just after a failover a head batch
/// refused and a later batch accepted would lose the head silently: the leader refuses the later one with
/// OUT_OF_ORDER_SEQUENCE_NUMBER instead, on which clients bump their epoch and resend every batch in order.
/// Bounded: at most <see cref="Capacity"/> producers a partition; past that a producer goes unremembered (Kafka's rule).
/// </summary>
internal sealed class RefusedProducerBatches
{
    public const int Capacity = 256;

    /// <summary>Kafka's default request.timeout.ms: a client resends a refused batch well within it.</summary>
    public const long TtlMs = 30_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<long, Refusal> _refusals = [];
    private volatile int _count;

    private readonly record struct Refusal(short Epoch, int FirstSequence, long AtMs);

    /// <summary>Whether nothing is remembered: the append path's only cost while no batch was refused.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>Remembers the head batch of <paramref name="records"/> if it is an idempotent producer's.</summary>
    public void Refused(ReadOnlySpan<byte> records, long nowMs)
    {
        if (!TryReadHead(records, out long producerId, out short epoch, out int firstSequence))
            return;
        lock (_lock)
        {
            if (_refusals.TryGetValue(producerId, out Refusal known) && nowMs - known.AtMs < TtlMs)
            {
                if (epoch < known.Epoch || (epoch == known.Epoch && firstSequence >= known.FirstSequence))
                    return;
            }
            else if (_refusals.Count >= Capacity && !RemoveExpired(nowMs))
            {
                return;
            }
            _refusals[producerId] = new Refusal(epoch, firstSequence, nowMs);
            _count = _refusals.Count;
        }
    }

    /// <summary>
    /// The lowest sequence refused for the producer of <paramref name="records"/>' head batch at its epoch within the
    /// last <see cref="TtlMs"/>, when the head batch starts after it.
    /// </summary>
    public bool SkipsARefusedBatch(ReadOnlySpan<byte> records, long nowMs, out long producerId, out int refusedSequence)
    {
        refusedSequence = -1;
        if (!TryReadHead(records, out producerId, out short epoch, out int firstSequence))
            return false;
        lock (_lock)
        {
            if (!_refusals.TryGetValue(producerId, out Refusal known) || nowMs - known.AtMs >= TtlMs || known.Epoch != epoch)
                return false;
            refusedSequence = known.FirstSequence;
            return firstSequence > known.FirstSequence;
        }
    }

    /// <summary>A batch of the producer was written: the leader now has its state and checks its sequences itself.</summary>
    public void Appended(long producerId)
    {
        lock (_lock)
        {
            if (_refusals.Remove(producerId))
                _count = _refusals.Count;
        }
    }

    private bool RemoveExpired(long nowMs)
    {
        int before = _refusals.Count;
        foreach ((long producerId, Refusal refusal) in _refusals)
        {
            if (nowMs - refusal.AtMs >= TtlMs)
                _refusals.Remove(producerId);
        }
        _count = _refusals.Count;
        return _refusals.Count < before;
    }

    private static bool TryReadHead(ReadOnlySpan<byte> records, out long producerId, out short epoch, out int firstSequence)
    {
        producerId = RecordBatchHeader.NoProducerId;
        epoch = RecordBatchHeader.NoProducerEpoch;
        firstSequence = -1;
        if (records.Length < RecordBatchHeader.Size || records[RecordBatchHeader.MagicOffset] != RecordBatchHeader.CurrentMagic)
            return false;
        producerId = RecordBatchHeader.ProducerId(records);
        epoch = RecordBatchHeader.ProducerEpoch(records);
        firstSequence = RecordBatchHeader.BaseSequence(records);
        return producerId >= 0 && epoch >= 0 && firstSequence >= 0;
    }
}
