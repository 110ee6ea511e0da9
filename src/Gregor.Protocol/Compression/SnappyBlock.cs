namespace Gregor.Protocol.Compression;

/// <summary>
/// One raw snappy block, encoded and decoded span to span without allocating. A block is the
/// decoded length as a little-endian base-128 varint (at most 32 bits), then elements: literals
/// (tag low bits 00) and back-references with a 1-, 2- or 4-byte offset (01, 10, 11).
/// </summary>
internal static partial class SnappyBlock
{
    /// <summary>A length header is at most 5 bytes: 32 bits, 7 per byte.</summary>
    private const int MaxLengthHeaderBytes = 5;

    private const int TagLiteral = 0;
    private const int TagCopy1 = 1;
    private const int TagCopy2 = 2;
    private const int TagCopy4 = 3;

    /// <summary>
    /// The most bytes one block may decode to per byte of element data: a 3-byte copy with a
    /// 2-byte offset yields at most 64 bytes, and nothing yields more per byte.
    /// </summary>
    private const int MaxExpansionNumerator = 64;
    private const int MaxExpansionDenominator = 3;

    /// <summary>
    /// The most bytes <see cref="Compress"/> can write for <paramref name="sourceLength"/> bytes
    /// (the bound the reference implementation promises, which this encoder stays well inside).
    /// </summary>
    public static int MaxCompressedLength(int sourceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
        long bound = 32L + sourceLength + sourceLength / 6;
        if (bound > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(sourceLength), sourceLength, "too long to compress into one span");
        return (int)bound;
    }

    /// <summary>
    /// The decoded length a block declares, after checking that its header is well formed and
    /// that its elements could possibly decode to that much. Throws
    /// <see cref="InvalidDataException"/> otherwise, so a few bytes claiming gigabytes are refused
    /// before anyone sizes a buffer for them.
    /// </summary>
    public static long ReadDecodedLength(ReadOnlySpan<byte> block, out int headerLength)
    {
        long value = 0;
        for (int i = 0; i < MaxLengthHeaderBytes; i++)
        {
            if (i == block.Length)
                throw new InvalidDataException("snappy: block ends inside its length header (truncated)");
            byte b = block[i];
            value |= (long)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                if (value > uint.MaxValue)
                    throw new InvalidDataException("snappy: block length header is over 32 bits");
                headerLength = i + 1;
                long elementBytes = block.Length - headerLength;
                if (value * MaxExpansionDenominator > elementBytes * MaxExpansionNumerator)
                    throw new InvalidDataException(
                        $"snappy: block claims {value} decoded bytes, more than its {elementBytes} bytes of elements can hold (truncated or corrupt)");
                return value;
            }
        }
        throw new InvalidDataException("snappy: block length header is over 5 bytes");
    }
}
