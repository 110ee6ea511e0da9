using System.Buffers.Binary;
using static Gregor.Protocol.Records.RecordBatchError;

namespace Gregor.Protocol.Records;

/// <summary>
/// The framing every entry of a records blob shares whatever its magic: an 8-byte offset, a
/// 4-byte length counting the bytes after it, and the magic byte at position 16 (v0/v1
/// messages and v2 batches agree on all three).
/// </summary>
public static class RecordBatchFraming
{
    /// <summary>Offset + length: the bytes the length field does not count.</summary>
    public const int LogOverhead = 12;

    public const int MagicOffset = 16;

    /// <summary>Smallest length of a v0 message (crc, magic, attributes, key and value lengths).</summary>
    public const int MinimumLengthV0 = 14;

    /// <summary>Smallest length of a v1 message (v0 plus the timestamp).</summary>
    public const int MinimumLengthV1 = 22;

    /// <summary>Smallest length of a v2 batch: its header without the log overhead.</summary>
    public const int MinimumLengthV2 = RecordBatchHeader.Size - LogOverhead;

    /// <summary>
    /// Checks the framing of the entry at the start of <paramref name="input"/>: enough bytes for the
    /// length, a length within [minimum for its magic, <paramref name="maxBatchBytes"/>], all of it present,
    /// a magic of at most 2. On success gives the entry's total size and magic.
    /// </summary>
    public static RecordBatchValidationResult TryFrame(ReadOnlySpan<byte> input, int maxBatchBytes, out int totalSize, out byte magic)
    {
        totalSize = 0;
        magic = 0;
        if (input.Length < LogOverhead) return new(TruncatedHeader, 0, LogOverhead, input.Length);

        int length = BinaryPrimitives.ReadInt32BigEndian(input[RecordBatchHeader.BatchLengthOffset..]);
        if (length < MinimumLengthV0) return new(BatchLengthTooSmall, RecordBatchHeader.BatchLengthOffset, MinimumLengthV0, length);

        long size = (long)length + LogOverhead;
        if (size > maxBatchBytes) return new(BatchTooLarge, RecordBatchHeader.BatchLengthOffset, maxBatchBytes, size);
        if (size > input.Length) return new(TruncatedBatch, 0, size, input.Length);

        magic = input[MagicOffset];
        int minimum = MinimumLength(magic);
        if (minimum < 0) return new(UnsupportedMagic, MagicOffset, RecordBatchHeader.CurrentMagic, magic);
        if (length < minimum) return new(BatchLengthTooSmall, RecordBatchHeader.BatchLengthOffset, minimum, length);

        totalSize = (int)size;
        return default;
    }

    /// <summary>The smallest batch length a magic allows, or -1 for a magic Gregor cannot read.</summary>
    private static int MinimumLength(byte magic) => magic switch
    {
        0 => MinimumLengthV0,
        1 => MinimumLengthV1,
        2 => MinimumLengthV2,
        _ => -1,
    };

    /// <summary>
    /// The framing checks that need only the start of an entry (its offset, length and magic): enough bytes for
    /// those, a length within [minimum for its magic, <paramref name="maxBatchBytes"/>], a magic of at most 2.
    /// Unlike <see cref="TryFrame"/> the rest of the entry need not be present, so a reader can walk a file
    /// header by header and read each entry's body only when it needs it.
    /// </summary>
    public static RecordBatchValidationResult TryReadSize(ReadOnlySpan<byte> header, int maxBatchBytes, out int totalSize, out byte magic)
    {
        totalSize = 0;
        magic = 0;
        if (header.Length <= MagicOffset) return new(TruncatedHeader, 0, MagicOffset + 1, header.Length);

        int length = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..]);
        magic = header[MagicOffset];
        int minimum = MinimumLength(magic);
        if (minimum < 0) return new(UnsupportedMagic, MagicOffset, RecordBatchHeader.CurrentMagic, magic);
        if (length < minimum) return new(BatchLengthTooSmall, RecordBatchHeader.BatchLengthOffset, minimum, length);

        long size = (long)length + LogOverhead;
        if (size > maxBatchBytes) return new(BatchTooLarge, RecordBatchHeader.BatchLengthOffset, maxBatchBytes, size);

        totalSize = (int)size;
        return default;
    }
}
