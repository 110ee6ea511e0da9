using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gregor.Protocol.Compression;

internal static partial class SnappyBlock
{
    /// <summary>
    /// Decodes one raw snappy block into the start of <paramref name="destination"/>, which must
    /// hold at least the length <see cref="ReadDecodedLength"/> reports, and returns that length.
    /// Every element is checked against the input left and the declared length before a byte is
    /// written; a block that is malformed, runs past its input, refers back before its start, or
    /// does not decode to exactly its declared length throws <see cref="InvalidDataException"/>.
    /// Bytes past the declared length in <paramref name="destination"/> are never touched.
    /// </summary>
    public static int Decompress(ReadOnlySpan<byte> block, Span<byte> destination)
    {
        long declared = ReadDecodedLength(block, out int headerLength);
        if (declared > destination.Length)
            throw new ArgumentException($"destination holds {destination.Length} bytes; the block decodes to {declared}", nameof(destination));

        Span<byte> output = destination[..(int)declared];
        ReadOnlySpan<byte> input = block[headerLength..];
        int read = 0;
        int written = 0;
        while (read < input.Length)
        {
            byte tag = input[read++];
            int upper = tag >> 2;
            int remaining = input.Length - read;
            long length;
            long offset;
            switch (tag & 3)
            {
                case TagLiteral:
                    if (upper < 60)
                    {
                        length = upper + 1;
                    }
                    else
                    {
                        int lengthBytes = upper - 59;
                        if (lengthBytes > remaining)
                            throw Corrupt("a literal's length runs past the end of the input", written);
                        uint lengthMinusOne = 0;
                        for (int i = 0; i < lengthBytes; i++)
                            lengthMinusOne |= (uint)input[read + i] << (8 * i);
                        read += lengthBytes;
                        remaining -= lengthBytes;
                        length = lengthMinusOne + 1L;
                    }
                    if (length > remaining)
                        throw Corrupt($"a literal of {length} bytes runs past the end of the input ({remaining} bytes left)", written);
                    if (length > output.Length - written)
                        throw Corrupt($"a literal of {length} bytes passes the declared length {declared}", written);
                    if (length <= ShortPiece && remaining >= ShortPiece && output.Length - written >= ShortPiece)
                        CopyShortPiece(input[read..], output[written..]);
                    else
                        input.Slice(read, (int)length).CopyTo(output[written..]);
                    read += (int)length;
                    written += (int)length;
                    continue;

                case TagCopy1:
                    if (remaining < 1)
                        throw Corrupt("a copy's offset runs past the end of the input", written);
                    length = 4 + (upper & 7);
                    offset = ((upper >> 3) << 8) | input[read];
                    read += 1;
                    break;

                case TagCopy2:
                    if (remaining < 2)
                        throw Corrupt("a copy's offset runs past the end of the input", written);
                    length = upper + 1;
                    offset = BinaryPrimitives.ReadUInt16LittleEndian(input[read..]);
                    read += 2;
                    break;

                default:
                    if (remaining < 4)
                        throw Corrupt("a copy's offset runs past the end of the input", written);
                    length = upper + 1;
                    offset = BinaryPrimitives.ReadUInt32LittleEndian(input[read..]);
                    read += 4;
                    break;
            }

            if (offset == 0)
                throw Corrupt("a copy has offset 0", written);
            if (offset > written)
                throw Corrupt($"a copy refers {offset} bytes back, before the start of the block", written);
            if (length > output.Length - written)
                throw Corrupt($"a copy of {length} bytes passes the declared length {declared}", written);
            written = CopyBack(output, written, (int)offset, (int)length);
        }

        if (written != output.Length)
            throw Corrupt($"the block decodes to {written} bytes but declares {declared} (truncated or corrupt)", written);
        return written;
    }

    /// <summary>
    /// Appends <paramref name="length"/> bytes starting <paramref name="offset"/> back. When the
    /// copy overlaps what it writes (offset &lt; length), the output repeats with period offset,
    /// so each step copies everything from the source start up to the write position — a whole
    /// number of periods, never overlapping — doubling the step each time.
    /// </summary>
    private static int CopyBack(Span<byte> output, int position, int offset, int length)
    {
        int from = position - offset;
        if (length <= ShortPiece && offset >= ShortPiece && output.Length - position >= ShortPiece)
        {
            CopyShortPiece(output[from..], output[position..]);
            return position + length;
        }
        if (offset >= length)
        {
            output.Slice(from, length).CopyTo(output[position..]);
            return position + length;
        }
        int end = position + length;
        while (position < end)
        {
            int step = Math.Min(position - from, end - position);
            output.Slice(from, step).CopyTo(output[position..]);
            position += step;
        }
        return position;
    }

    /// <summary>
    /// Most literals and copies are short. When input and output both have 16 bytes to spare
    /// (and a copy's source ends before its destination starts), copying a fixed 16 bytes is
    /// cheaper than a copy of the exact length; the bytes past the piece lie inside the declared
    /// length and are overwritten by the elements that follow.
    /// </summary>
    private const int ShortPiece = 16;

    private static void CopyShortPiece(ReadOnlySpan<byte> source, Span<byte> destination) =>
        MemoryMarshal.Write(destination, MemoryMarshal.Read<Vector128<byte>>(source));

    private static InvalidDataException Corrupt(string problem, int written) =>
        new($"snappy: corrupt block at decoded byte {written}: {problem}");
}
