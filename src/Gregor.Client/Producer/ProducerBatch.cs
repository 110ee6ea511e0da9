using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Gregor.Protocol.Records;

namespace Gregor.Client.Producer;

/// <summary>
/// Records for one partition, encoded as they are appended into a pooled RecordBatch v2 builder,
/// with each record's completion beside it. Built (compressed, CRC) once when first sent; a retry
/// resends the same bytes. Batches are recycled by the accumulator, so steady state allocates nothing.
/// </summary>
internal sealed class ProducerBatch : IDisposable
{
    private readonly RecordBatchBuilder _builder = new(4096);
    private PendingRecord[] _records = ArrayPool<PendingRecord>.Shared.Rent(16);
    private ReadOnlyMemory<byte> _built;

    /// <summary>The partition queue the batch belongs to.</summary>
    public PartitionQueue Queue { get; private set; } = null!;

    public string Topic => Queue.Topic;

    public int Partition => Queue.Partition;

    public int Count => _builder.Count;

    /// <summary>Encoded size so far, uncompressed: what batch.size is measured against.</summary>
    public int UncompressedSize => _builder.UncompressedSize;

    /// <summary>What the batch's buffers are counted as while it waits in the accumulator's pool.</summary>
    public long PooledBytes { get; set; }

    /// <summary>buffer.memory reserved for this batch's records, released when it completes.</summary>
    public long ReservedBytes { get; set; }

    public long CreatedTimestamp { get; private set; }

    public int Attempts { get; set; }

    /// <summary>Not to be sent again before this (retry backoff), in clock timestamp units.</summary>
    public long RetryNotBefore { get; set; }

    /// <summary>Whether the batch is in a request now (under its queue's lock).</summary>
    public bool InFlight { get; set; }

    /// <summary>
    /// Whether an idempotent producer's id, epoch and first sequence are in the batch and still good to send (until then
    /// it may not be sent; a voided number is replaced when the batch is next sent).
    /// </summary>
    public bool HasSequence { get; private set; }

    /// <summary>Whether the batch was ever numbered: its last attempt carried <see cref="ProducerId"/>, <see cref="ProducerEpoch"/> and <see cref="BaseSequence"/>.</summary>
    public bool WasNumbered => ProducerId != RecordBatchHeader.NoProducerId;

    public long ProducerId { get; private set; } = RecordBatchHeader.NoProducerId;

    public short ProducerEpoch { get; private set; } = RecordBatchHeader.NoProducerEpoch;

    public int BaseSequence { get; private set; } = RecordBatchHeader.NoSequence;

    /// <summary>Whether the batch's sequence was voided after it was sent (an epoch bump renumbered it): a refusal of its new number is not a new gap.</summary>
    public bool SequenceWasReset { get; private set; }

    /// <summary>The sequence of the batch's last record (sequences wrap from int.MaxValue to 0).</summary>
    public int LastSequence => (int)((BaseSequence + (long)Count - 1) % ((long)int.MaxValue + 1));

    /// <summary>How the batch ended, once it has (null while it may still be sent or resent): recorded when its answer is applied, acted on once the sender has moved on.</summary>
    public BatchOutcome? Outcome { get; set; }

    public void Start(PartitionQueue queue, Gregor.Protocol.Compression.CompressionType compression, int? level, long now)
    {
        Queue = queue;
        Outcome = null;
        InFlight = false;
        _builder.Reset();
        _builder.Compression = compression;
        _builder.CompressionLevel = level;
        _built = default;
        CreatedTimestamp = now;
        ReservedBytes = 0;
        Attempts = 0;
        RetryNotBefore = 0;
        HasSequence = false;
        SequenceWasReset = false;
        ProducerId = RecordBatchHeader.NoProducerId;
        ProducerEpoch = RecordBatchHeader.NoProducerEpoch;
        BaseSequence = RecordBatchHeader.NoSequence;
    }

    /// <summary>
    /// Stamps an idempotent producer's id, epoch and first sequence on the batch: into the builder before it is
    /// built, or into the built header (with its CRC computed again, nothing else rebuilt or recompressed) when a
    /// batch already sent must go out again under a new epoch and sequence.
    /// </summary>
    public void SetSequence(long producerId, short epoch, int baseSequence)
    {
        ProducerId = producerId;
        ProducerEpoch = epoch;
        BaseSequence = baseSequence;
        HasSequence = true;
        if (_built.IsEmpty)
        {
            _builder.ProducerId = producerId;
            _builder.ProducerEpoch = epoch;
            _builder.BaseSequence = baseSequence;
            return;
        }
        Span<byte> header = MemoryMarshal.AsMemory(_built).Span;
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.ProducerIdOffset..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(header[RecordBatchHeader.ProducerEpochOffset..], epoch);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BaseSequenceOffset..], baseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(header[RecordBatchHeader.CrcOffset..], RecordBatchHeader.ComputeCrc(header));
    }

    /// <summary>
    /// The batch's sequence is void (the broker lost or refused it, or one ahead of it): it gets a new one before it is sent
    /// again. An attempt already in flight keeps the old one on the wire (<see cref="ProducerId"/> and the rest still say it).
    /// </summary>
    public void ClearSequence()
    {
        HasSequence = false;
        SequenceWasReset = true;
    }

    public void Append(long timestamp, NullableBytes key, NullableBytes value, ReadOnlySpan<RecordHeaderData> headers, DeliveryTarget delivery)
    {
        int index = _builder.Count;
        if (headers.IsEmpty) _builder.Append(timestamp, key, value);
        else _builder.Append(timestamp, key, value, headers);
        if (index == _records.Length)
        {
            var grown = ArrayPool<PendingRecord>.Shared.Rent(_records.Length * 2);
            _records.AsSpan(0, index).CopyTo(grown);
            ArrayPool<PendingRecord>.Shared.Return(_records, clearArray: true);
            _records = grown;
        }
        _records[index] = new PendingRecord(delivery, timestamp);
    }

    /// <summary>The wire bytes of the batch, built on first use.</summary>
    public ReadOnlyMemory<byte> Built()
    {
        if (_built.IsEmpty) _built = _builder.Build();
        return _built;
    }

    /// <summary>Completes every record: offsets follow the base offset in append order.</summary>
    public void Complete(long baseOffset, long logAppendTime, Gregor.Protocol.ErrorCode error, ErrorCode? localError, string? message)
    {
        int count = _builder.Count;
        for (int i = 0; i < count; i++)
        {
            var record = _records[i];
            _records[i] = default;
            bool appendTime = logAppendTime >= 0;
            long offset = error == Gregor.Protocol.ErrorCode.None && localError is null && baseOffset >= 0 ? baseOffset + i : -1;
            try
            {
                record.Delivery.Completion.Complete(record.Delivery.State, Topic, Partition, offset, appendTime ? logAppendTime : record.Timestamp, appendTime, error, localError, message);
            }
#pragma warning disable CA1031 // a throwing delivery handler must not stop the others, nor the sender
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    public void Dispose()
    {
        _builder.Dispose();
        ArrayPool<PendingRecord>.Shared.Return(_records, clearArray: true);
        _records = [];
    }

    private readonly record struct PendingRecord(DeliveryTarget Delivery, long Timestamp);
}

/// <summary>A batch's end: its base offset and append time on success, else the wire or local error and why.</summary>
internal readonly record struct BatchOutcome(long BaseOffset, long LogAppendTime, Gregor.Protocol.ErrorCode Error, ErrorCode? LocalError, string? Message);
