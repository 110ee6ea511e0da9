using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Gregor.Protocol.Compression;

internal static partial class SnappyBlock
{
    /// <summary>
    /// Matches are searched within 64 KiB fragments of the input, so every offset fits a 2-byte
    /// copy and every position fits the 16-bit hash table.
    /// </summary>
    private const int FragmentSize = 1 << 16;

    /// <summary>16K entries of 2 bytes: 32 KiB of stack, enough for a 64 KiB fragment.</summary>
    private const int MaxHashBits = 14;
    private const int MinHashBits = 8;

    /// <summary>Fragments shorter than this go out as one literal: a match could not pay for its search.</summary>
    private const int ShortestSearchedFragment = 16;

    /// <summary>Knuth's multiplicative hashing constant (2^32 divided by the golden ratio).</summary>
    private const uint HashMultiplier = 2654435761u;

    /// <summary>After this many misses in a row the search starts skipping ahead, one more byte per this many further misses.</summary>
    private const int MissesBeforeSkipping = 32;
    private const int SkipShift = 5;

    /// <summary>
    /// Writes <paramref name="source"/> as one raw snappy block into <paramref name="destination"/>,
    /// which must hold at least <see cref="MaxCompressedLength"/> bytes, and returns the block's length.
    /// </summary>
    [SkipLocalsInit]
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int bound = MaxCompressedLength(source.Length);
        if (destination.Length < bound)
            throw new ArgumentException($"destination holds {destination.Length} bytes; compressing {source.Length} bytes needs {bound}", nameof(destination));

        int written = WriteLengthHeader((uint)source.Length, destination);
        // Cleared per fragment, and only as much of it as the fragment uses.
        Span<ushort> table = stackalloc ushort[1 << MaxHashBits];
        for (int start = 0; start < source.Length; start += FragmentSize)
        {
            ReadOnlySpan<byte> fragment = source.Slice(start, Math.Min(FragmentSize, source.Length - start));
            written += CompressFragment(fragment, destination[written..], table);
        }
        return written;
    }

    private static int WriteLengthHeader(uint length, Span<byte> destination)
    {
        int i = 0;
        while (length >= 0x80)
        {
            destination[i++] = (byte)(length | 0x80);
            length >>= 7;
        }
        destination[i++] = (byte)length;
        return i;
    }

    /// <summary>
    /// Greedy LZ77 over one fragment: hash the 4 bytes at each position, look up the last
    /// position with the same hash, and if its 4 bytes really are equal, emit the literal run
    /// before it and a copy as long as the bytes keep matching.
    /// </summary>
    private static int CompressFragment(ReadOnlySpan<byte> fragment, Span<byte> destination, Span<ushort> table)
    {
        int length = fragment.Length;
        if (length < ShortestSearchedFragment)
            return WriteLiteral(fragment, destination);

        int hashBits = HashBits(length);
        int hashShift = 32 - hashBits;
        Span<ushort> positions = table[..(1 << hashBits)];
        positions.Clear();

        int written = 0;
        int literalStart = 0;
        int lastSearched = length - 4;
        // Position 0 starts in every table slot, so the search starts at 1 and never matches itself.
        int position = 1;
        int misses = MissesBeforeSkipping;
        while (position <= lastSearched)
        {
            uint current = BinaryPrimitives.ReadUInt32LittleEndian(fragment[position..]);
            int slot = (int)((current * HashMultiplier) >> hashShift);
            int candidate = positions[slot];
            positions[slot] = (ushort)position;
            if (BinaryPrimitives.ReadUInt32LittleEndian(fragment[candidate..]) != current)
            {
                // Incompressible stretches are crossed faster the longer they go on.
                position += misses++ >> SkipShift;
                continue;
            }

            if (position > literalStart)
                written += WriteLiteral(fragment[literalStart..position], destination[written..]);
            int matchLength = 4 + fragment[(candidate + 4)..].CommonPrefixLength(fragment[(position + 4)..]);
            written += WriteCopy(position - candidate, matchLength, destination[written..]);
            position += matchLength;
            literalStart = position;
            misses = MissesBeforeSkipping;
            // Remember the match's last position too, so the next match can start right behind it.
            if (position - 1 <= lastSearched)
            {
                uint previous = BinaryPrimitives.ReadUInt32LittleEndian(fragment[(position - 1)..]);
                positions[(int)((previous * HashMultiplier) >> hashShift)] = (ushort)(position - 1);
            }
        }

        if (literalStart < length)
            written += WriteLiteral(fragment[literalStart..], destination[written..]);
        return written;
    }

    /// <summary>The smallest table that gives every position of the fragment a slot, within bounds.</summary>
    private static int HashBits(int fragmentLength)
    {
        int bits = MinHashBits;
        while (bits < MaxHashBits && (1 << bits) < fragmentLength)
            bits++;
        return bits;
    }

    private static int WriteLiteral(ReadOnlySpan<byte> literal, Span<byte> destination)
    {
        // The tag holds length - 1 itself up to 59; 60..63 say it follows in 1..4 bytes.
        uint lengthMinusOne = (uint)literal.Length - 1;
        int header;
        if (lengthMinusOne < 60)
        {
            destination[0] = (byte)(TagLiteral | (lengthMinusOne << 2));
            header = 1;
        }
        else
        {
            int lengthBytes = lengthMinusOne < 1u << 8 ? 1 : lengthMinusOne < 1u << 16 ? 2 : lengthMinusOne < 1u << 24 ? 3 : 4;
            destination[0] = (byte)(TagLiteral | ((59 + lengthBytes) << 2));
            for (int i = 0; i < lengthBytes; i++)
                destination[1 + i] = (byte)(lengthMinusOne >> (8 * i));
            header = 1 + lengthBytes;
        }
        literal.CopyTo(destination[header..]);
        return header + literal.Length;
    }

    /// <summary>
    /// A copy of any length, as copies of at most 64 bytes. Pieces are cut so the last one is
    /// at least 4 bytes, which lets it use the 2-byte form when the offset is short.
    /// </summary>
    private static int WriteCopy(int offset, int length, Span<byte> destination)
    {
        int written = 0;
        while (length >= 68)
        {
            written += WriteCopy2(offset, 64, destination[written..]);
            length -= 64;
        }
        if (length > 64)
        {
            written += WriteCopy2(offset, 60, destination[written..]);
            length -= 60;
        }
        if (length <= 11 && offset < 2048)
        {
            destination[written] = (byte)(TagCopy1 | ((length - 4) << 2) | ((offset >> 8) << 5));
            destination[written + 1] = (byte)offset;
            return written + 2;
        }
        return written + WriteCopy2(offset, length, destination[written..]);
    }

    private static int WriteCopy2(int offset, int length, Span<byte> destination)
    {
        destination[0] = (byte)(TagCopy2 | ((length - 1) << 2));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], (ushort)offset);
        return 3;
    }
}
