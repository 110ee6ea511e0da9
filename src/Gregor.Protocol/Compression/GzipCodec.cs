using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Gregor.Protocol.Records;

namespace Gregor.Protocol.Compression;

/// <summary>
/// Gzip (RFC 1952) through System.IO.Compression, one member written, several accepted as the
/// Java client's reader accepts them. GZipStream returns a clean end of data when its input stops
/// mid-member and skips bytes after the last member, so the decoder checks the last member's
/// trailer (CRC-32 and size of its output) itself: that proves the input ended where the last
/// member ends. The members before it were checked by zlib on the way.
/// </summary>
internal static unsafe class GzipCodec
{
    /// <summary>zlib's default level (6); Kafka's default compression.gzip.level (-1) means this.</summary>
    public const int DefaultLevel = -1;
    public const int MinLevel = 1;
    public const int MaxLevel = 9;

    /// <summary>10-byte header, the 2-byte shortest deflate stream, 8-byte trailer.</summary>
    private const int ShortestMember = 20;

    private const int TrailerSize = 8;

    /// <summary>
    /// A member holding no data: header (no name, no time, Unix), an empty final fixed-Huffman
    /// block, CRC 0, size 0. GZipStream writes nothing at all when given nothing, which no
    /// reader accepts as gzip.
    /// </summary>
    private static ReadOnlySpan<byte> EmptyMember =>
        [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level)
    {
        if (source.IsEmpty)
        {
            destination.Write(EmptyMember);
            return;
        }
        var options = new ZLibCompressionOptions { CompressionLevel = level };
        using var output = new BufferWriterStream(destination);
        using (var gzip = new GZipStream(output, options, leaveOpen: true))
            gzip.Write(source);
    }

    public static void Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxDecompressedBytes)
    {
        if (source.Length < ShortestMember)
            throw new InvalidDataException($"gzip: {source.Length} bytes is shorter than any gzip member (truncated)");
        uint trailerCrc = BinaryPrimitives.ReadUInt32LittleEndian(source[^TrailerSize..]);
        uint trailerSize = BinaryPrimitives.ReadUInt32LittleEndian(source[^4..]);

        var output = new DecompressionOutput(destination, maxDecompressedBytes, "gzip", stackalloc byte[1]);
        uint crc = Crc32Ieee.Start;
        fixed (byte* src = source)
        {
            using var input = new UnmanagedMemoryStream(src, source.Length);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            while (true)
            {
                Span<byte> span = output.GetSpan();
                int read = Read(gzip, span);
                if (read == 0)
                    break;
                crc = Crc32Ieee.Append(crc, span[..read]);
                output.Advance(read);
            }
        }

        // Output sizes are below 2^31, so the trailer's size (mod 2^32) is exact here.
        long total = output.Written;
        if (total == trailerSize)
        {
            if (Crc32Ieee.Finish(crc) != trailerCrc)
                throw TrailerMismatch();
        }
        else if (total > trailerSize)
        {
            // Several members: the last one's output is the last trailerSize bytes. The output
            // cannot be read back from the destination, so inflate again up to that point.
            if (LastMemberCrc(source, total - trailerSize) != trailerCrc)
                throw TrailerMismatch();
        }
        else
        {
            throw TrailerMismatch();
        }
    }

    /// <summary>The CRC-32 of the decompressed output from <paramref name="skip"/> bytes on.</summary>
    private static uint LastMemberCrc(ReadOnlySpan<byte> source, long skip)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            uint crc = Crc32Ieee.Start;
            fixed (byte* src = source)
            {
                using var input = new UnmanagedMemoryStream(src, source.Length);
                using var gzip = new GZipStream(input, CompressionMode.Decompress);
                int read;
                while ((read = Read(gzip, scratch)) > 0)
                {
                    int skipHere = (int)Math.Min(skip, read);
                    skip -= skipHere;
                    crc = Crc32Ieee.Append(crc, scratch.AsSpan(skipHere, read - skipHere));
                }
            }
            return Crc32Ieee.Finish(crc);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static int Read(GZipStream gzip, Span<byte> span)
    {
        try
        {
            return gzip.Read(span);
        }
        catch (InvalidDataException e)
        {
            // GZipStream reports a bad CRC or size as an "unsupported compression method".
            throw new InvalidDataException($"gzip: corrupt input (bad data, checksum or size): {e.Message}", e);
        }
    }

    private static InvalidDataException TrailerMismatch() =>
        new("gzip: the input does not end with the trailer of its last member (truncated, damaged, or followed by other bytes)");
}
