using Gregor.Protocol.Compression;
using H = Gregor.Protocol.Records.RecordBatchHeader;

namespace Gregor.Protocol.Records;

/// <summary>
/// A read-only view of one v2 batch's header fields. Reading fields needs at least the 61-byte
/// header; nothing here checks framing or the CRC (that is <see cref="RecordBatchValidator"/>'s job).
/// </summary>
public readonly ref struct RecordBatch
{
    public RecordBatch(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < H.Size)
            throw new ArgumentException($"a record batch header needs {H.Size} bytes, got {bytes.Length}", nameof(bytes));
        Bytes = bytes;
    }

    /// <summary>The batch's bytes as given.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    public long BaseOffset => H.BaseOffset(Bytes);

    public int BatchLength => H.BatchLength(Bytes);

    public int TotalSize => H.TotalSize(Bytes);

    public int PartitionLeaderEpoch => H.PartitionLeaderEpoch(Bytes);

    public byte Magic => H.Magic(Bytes);

    public uint Crc => H.Crc(Bytes);

    public RecordBatchAttributes Attributes => H.Attributes(Bytes);

    /// <summary>The codec from the attributes' low three bits; 5..7 are not defined (the validator rejects them).</summary>
    public CompressionType Compression => (CompressionType)(Attributes & RecordBatchAttributes.CompressionMask);

    public TimestampType TimestampType => (Attributes & RecordBatchAttributes.LogAppendTime) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    public bool IsTransactional => (Attributes & RecordBatchAttributes.Transactional) != 0;

    public bool IsControl => (Attributes & RecordBatchAttributes.Control) != 0;

    /// <summary>Set by compaction: the base timestamp then holds the delete horizon.</summary>
    public bool HasDeleteHorizon => (Attributes & RecordBatchAttributes.HasDeleteHorizon) != 0;

    public int LastOffsetDelta => H.LastOffsetDelta(Bytes);

    public long LastOffset => H.LastOffset(Bytes);

    public long BaseTimestamp => H.BaseTimestamp(Bytes);

    public long MaxTimestamp => H.MaxTimestamp(Bytes);

    public long ProducerId => H.ProducerId(Bytes);

    public short ProducerEpoch => H.ProducerEpoch(Bytes);

    public int BaseSequence => H.BaseSequence(Bytes);

    /// <summary>The sequence of the last record (base sequence plus lastOffsetDelta, wrapping at int.MaxValue as Kafka does).</summary>
    public int LastSequence => BaseSequence == H.NoSequence ? H.NoSequence : (int)(((long)BaseSequence + LastOffsetDelta) % ((long)int.MaxValue + 1));

    public int RecordsCount => H.RecordsCount(Bytes);

    public bool HasProducerId => ProducerId >= 0;

    /// <summary>The records section: everything after the header up to the declared size (or the end of the bytes, if shorter).</summary>
    public ReadOnlySpan<byte> RecordsSection => Bytes[H.Size..Math.Clamp(TotalSize, H.Size, Bytes.Length)];
}
