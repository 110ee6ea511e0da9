using System.Buffers.Binary;

namespace Gregor.Protocol.Records;

/// <summary>
/// The fixed 61-byte header of a magic-v2 record batch, read and patched in place. The broker
/// assigns offsets and leader epochs by rewriting these fields and leaves the records section
/// exactly as the producer sent it.
/// </summary>
public static class RecordBatchHeader
{
    public const int BaseOffsetOffset = 0;
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = RecordBatchFraming.MagicOffset;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordsCountOffset = 57;

    /// <summary>Bytes before the records section.</summary>
    public const int Size = 61;

    /// <summary>The base offset and batch length fields, which the batch length does not count.</summary>
    public const int LogOverhead = RecordBatchFraming.LogOverhead;

    /// <summary>The CRC covers everything from the attributes to the end of the batch.</summary>
    public const int CrcCoveredStart = AttributesOffset;

    public const byte CurrentMagic = 2;

    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;
    public const int NoSequence = -1;
    public const int NoPartitionLeaderEpoch = -1;

    public static long BaseOffset(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[BaseOffsetOffset..]);

    public static int BatchLength(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]);

    /// <summary>
    /// Whole size of the batch on disk and on the wire: batch length plus the 12-byte log overhead.
    /// Trusts the length field: call it on framed batches (<see cref="RecordBatchFraming"/> checks them).
    /// </summary>
    public static int TotalSize(ReadOnlySpan<byte> batch) => BatchLength(batch) + LogOverhead;

    public static int PartitionLeaderEpoch(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[PartitionLeaderEpochOffset..]);

    public static byte Magic(ReadOnlySpan<byte> batch) => batch[MagicOffset];

    public static uint Crc(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]);

    public static RecordBatchAttributes Attributes(ReadOnlySpan<byte> batch) => (RecordBatchAttributes)BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]);

    public static int LastOffsetDelta(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaOffset..]);

    public static long LastOffset(ReadOnlySpan<byte> batch) => BaseOffset(batch) + LastOffsetDelta(batch);

    public static long BaseTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[BaseTimestampOffset..]);

    public static long MaxTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]);

    public static long ProducerId(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[ProducerIdOffset..]);

    public static short ProducerEpoch(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt16BigEndian(batch[ProducerEpochOffset..]);

    public static int BaseSequence(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[BaseSequenceOffset..]);

    public static int RecordsCount(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[RecordsCountOffset..]);

    /// <summary>Assigns the batch its offset in the log. The CRC does not cover this field, so it stays valid.</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset) => BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetOffset..], baseOffset);

    /// <summary>Stamps the leader epoch that appended the batch; outside the CRC as well.</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) => BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], epoch);

    /// <summary>CRC32C (Castagnoli) over attributes..end, as the batch header's crc field holds it.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(batch[CrcCoveredStart..TotalSize(batch)]);

    /// <summary>
    /// Overwrites max timestamp (log-append-time topics) and recomputes the CRC, which covers it.
    /// </summary>
    public static void SetMaxTimestampAndRecomputeCrc(Span<byte> batch, long maxTimestamp, RecordBatchAttributes attributes)
    {
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], (short)attributes);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], ComputeCrc(batch));
    }
}

/// <summary>Bits of the batch attributes field.</summary>
[Flags]
public enum RecordBatchAttributes : short
{
    None = 0,
    CompressionMask = 0x07,
    LogAppendTime = 0x08,
    Transactional = 0x10,
    Control = 0x20,
    HasDeleteHorizon = 0x40,
}
