using System.Buffers;

namespace Gregor.Protocol.Compression;

/// <summary>
/// LZ4 as record batches (magic 2) carry it: one LZ4 frame. Written like the Java client and
/// librdkafka write it: 64 KiB independent blocks (the Java client cannot read linked blocks),
/// no block or content checksum, no content size. Read with or without any of those, with any
/// block size, and across several concatenated frames.
/// </summary>
/// <remarks>
/// Magic-0 message sets (clients before Kafka 0.10) carry a frame header checksum computed over
/// the wrong bytes (KAFKA-3160); liblz4 rejects those, so the legacy converter refuses magic-0 lz4
/// before it gets here. Magic 1 and record batches (magic 2) have the correct checksum.
/// </remarks>
internal static unsafe class Lz4FrameCodec
{
    /// <summary>Kafka's default compression.lz4.level; at this level the Java client uses LZ4's fast mode.</summary>
    public const int DefaultLevel = 9;
    public const int MinLevel = 1;
    public const int MaxLevel = 17;

    private const int BlockSize = 64 * 1024;
    private const int BlockSizeId64KB = 4;
    private const int BlockModeIndependent = 1;

    /// <summary>LZ4F_HEADER_SIZE_MAX: the longest frame header LZ4F_compressBegin writes.</summary>
    private const int HeaderSizeMax = 19;

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level)
    {
        Lz4Library lz4 = Lz4Library.Instance;
        var preferences = new Lz4Preferences
        {
            BlockSizeId = BlockSizeId64KB,
            BlockMode = BlockModeIndependent,
            // Every update ends in whole blocks, so nothing waits in the context between calls.
            AutoFlush = 1,
            // liblz4 level 0 is its fast mode; 3 and up are its high-compression modes.
            CompressionLevel = level == DefaultLevel ? 0 : level,
        };
        int blockBound = checked((int)lz4.CompressBound(BlockSize, &preferences));
        int endBound = checked((int)lz4.CompressBound(0, &preferences));

        Lz4CompressionContext context = Lz4CompressionContext.Rent();
        bool completed = false;
        try
        {
            fixed (byte* src = source)
            {
                Span<byte> span = destination.GetSpan(HeaderSizeMax);
                fixed (byte* dst = span)
                    destination.Advance(Checked(lz4, lz4.CompressBegin(context.Pointer, dst, (nuint)span.Length, &preferences)));

                for (int offset = 0; offset < source.Length; offset += BlockSize)
                {
                    int length = Math.Min(BlockSize, source.Length - offset);
                    span = destination.GetSpan(blockBound);
                    fixed (byte* dst = span)
                        destination.Advance(Checked(lz4, lz4.CompressUpdate(context.Pointer, dst, (nuint)span.Length, src + offset, (nuint)length)));
                }

                span = destination.GetSpan(endBound);
                fixed (byte* dst = span)
                    destination.Advance(Checked(lz4, lz4.CompressEnd(context.Pointer, dst, (nuint)span.Length)));
            }
            completed = true;
        }
        finally
        {
            context.ReturnOrFree(completed);
        }
    }

    public static void Decompress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxDecompressedBytes)
    {
        Lz4Library lz4 = Lz4Library.Instance;
        var output = new DecompressionOutput(destination, maxDecompressedBytes, "lz4", stackalloc byte[1]);
        Lz4DecompressionContext context = Lz4DecompressionContext.Rent();
        bool completed = false;
        try
        {
            lz4.ResetDecompressionContext(context.Pointer);
            fixed (byte* src = source)
            {
                int consumed = 0;
                while (!completed)
                {
                    Span<byte> span = output.GetSpan();
                    nuint written = (nuint)span.Length;
                    nuint read = (nuint)(source.Length - consumed);
                    nuint hint;
                    fixed (byte* dst = span)
                        hint = lz4.Decompress(context.Pointer, dst, &written, src + consumed, &read);
                    if (lz4.IsError(hint))
                        throw new InvalidDataException($"lz4: corrupt input at byte {consumed}: {lz4.ErrorName(hint)}");
                    consumed += (int)read;
                    output.Advance((int)written);

                    bool inputLeft = consumed < source.Length;
                    completed = hint == 0 && !inputLeft;
                    // hint == 0 with input left: the next frame of a concatenation begins.
                    if (hint != 0 && !inputLeft && (int)written < span.Length)
                        throw new InvalidDataException("lz4: input ends inside a frame (truncated)");
                    if (!completed && read == 0 && written == 0)
                        throw new InvalidDataException($"lz4: decoder stopped making progress at byte {consumed}");
                }
            }
        }
        finally
        {
            // liblz4 1.9.4 keeps some state of a frame that failed even across a reset (the
            // remaining content size), so only a context that finished cleanly is reused.
            context.ReturnOrFree(completed);
        }
    }

    private static int Checked(Lz4Library lz4, nuint result)
    {
        if (lz4.IsError(result))
            throw new InvalidOperationException($"lz4: compression failed: {lz4.ErrorName(result)}");
        return (int)result;
    }
}
