using System.Buffers;
using System.Buffers.Binary;

namespace Gregor.Protocol.Compression;

/// <summary>
/// Snappy as Kafka clients send it. The Java client writes snappy-java's stream framing
/// ("xerial"): an 8-byte magic, two big-endian int32 version fields, then chunks, each a
/// big-endian int32 length and one raw snappy block. librdkafka writes one raw snappy block with
/// no framing. Reading tells them apart by the magic, as both clients do; writing produces the
/// framing, which both read. Raw blocks are encoded and decoded by IronSnappy.
/// </summary>
internal static class SnappyCodec
{
    private const int HeaderSize = 16;
    private const int Version = 1;
    private const int MinimumCompatibleVersion = 1;

    /// <summary>snappy-java's default block size, which the Java client uses.</summary>
    private const int BlockSize = 32 * 1024;

    /// <summary>A snappy block's length prefix is a varint of at most 32 bits.</summary>
    private const int MaxLengthVarintBytes = 5;

    private static ReadOnlySpan<byte> Magic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        Span<byte> header = destination.GetSpan(HeaderSize);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], MinimumCompatibleVersion);
        destination.Advance(HeaderSize);

        for (int offset = 0; offset < source.Length; offset += BlockSize)
        {
            ReadOnlySpan<byte> piece = source.Slice(offset, Math.Min(BlockSize, source.Length - offset));
            // IronSnappy only offers an encoder that returns a new array.
            byte[] block = IronSnappy.Snappy.Encode(piece);
            BinaryPrimitives.WriteInt32BigEndian(destination.GetSpan(4), block.Length);
            destination.Advance(4);
            destination.Write(block);
        }
    }

    public static void Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxDecompressedBytes)
    {
        var output = new DecompressionOutput(destination, maxDecompressedBytes, "snappy", stackalloc byte[1]);
        if (IsFramed(source))
            DecompressFramed(source, ref output);
        else
            DecompressBlock(source, ref output);
    }

    private static bool IsFramed(ReadOnlySpan<byte> source) =>
        source.Length >= HeaderSize && source.StartsWith(Magic);

    private static void DecompressFramed(ReadOnlySpan<byte> source, ref DecompressionOutput output)
    {
        int position = HeaderSize;
        while (position < source.Length)
        {
            ReadOnlySpan<byte> rest = source[position..];
            if (rest.Length < 4)
                throw new InvalidDataException($"snappy: {rest.Length} stray bytes after the last chunk (truncated chunk length)");
            // snappy-java's reader accepts streams concatenated header and all; so does this one.
            if (rest.StartsWith(Magic[..4]))
            {
                if (!IsFramed(rest))
                    throw new InvalidDataException($"snappy: damaged stream header at byte {position}");
                position += HeaderSize;
                continue;
            }
            int length = BinaryPrimitives.ReadInt32BigEndian(rest);
            if (length < 0 || length > rest.Length - 4)
                throw new InvalidDataException(
                    $"snappy: chunk at byte {position} claims {length} bytes but {rest.Length - 4} remain (truncated or corrupt)");
            DecompressBlock(rest.Slice(4, length), ref output);
            position += 4 + length;
        }
    }

    private static void DecompressBlock(ReadOnlySpan<byte> block, ref DecompressionOutput output)
    {
        // The decoder allocates the length the block claims, so check it against the limit first.
        long claimed = UncompressedLength(block);
        output.EnsureRoom(claimed);
        byte[] decoded;
        try
        {
            decoded = IronSnappy.Snappy.Decode(block);
        }
        catch (Exception e) when (e is IOException or IndexOutOfRangeException or ArgumentException)
        {
            throw new InvalidDataException($"snappy: corrupt block: {e.Message}", e);
        }
        if (decoded.Length != claimed)
            throw new InvalidDataException($"snappy: block decoded to {decoded.Length} bytes, its header says {claimed}");
        output.Write(decoded);
    }

    /// <summary>The little-endian base-128 length that starts every raw snappy block.</summary>
    private static long UncompressedLength(ReadOnlySpan<byte> block)
    {
        long value = 0;
        for (int i = 0; i < MaxLengthVarintBytes; i++)
        {
            if (i == block.Length)
                throw new InvalidDataException("snappy: block ends inside its length header (truncated)");
            byte b = block[i];
            value |= (long)(b & 0x7F) << (7 * i);
            if (b < 0x80)
                return value <= uint.MaxValue
                    ? value
                    : throw new InvalidDataException("snappy: block length header is over 32 bits");
        }
        throw new InvalidDataException("snappy: block length header is over 5 bytes");
    }
}
