using System.Buffers;

namespace Gregor.Protocol.Compression;

/// <summary>
/// Zstandard through the system's libzstd. Written as one frame that records its content size;
/// read with the streaming decoder, so frames without a content size (the Java client's) and
/// several concatenated frames decode too.
/// </summary>
internal static unsafe class ZstdCodec
{
    /// <summary>Kafka's default compression.zstd.level, which is also zstd's own default.</summary>
    public const int DefaultLevel = 3;
    public const int MinLevel = -131072;
    public const int MaxLevel = 22;

    /// <summary>
    /// The largest window a frame may ask for: 2^27, zstd's own default limit and what the Java
    /// client accepts. A frame without a content size makes the decoder allocate its window,
    /// so this bounds native memory per context.
    /// </summary>
    private const int WindowLogMax = 27;

    /// <summary>
    /// Streaming encoders pick windows by level (level 3 uses 2^21), whatever the data's size, so
    /// smaller windows are always allowed; above that a window need not exceed the output limit.
    /// </summary>
    private const int WindowLogAlwaysAllowed = 22;

    /// <summary>A window bounded by what the caller will accept as output, so a tiny frame cannot claim 128 MiB of native memory.</summary>
    internal static int WindowLogFor(int maxDecompressedBytes)
    {
        int needed = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(1, maxDecompressedBytes) - 1);
        return Math.Clamp(needed, WindowLogAlwaysAllowed, WindowLogMax);
    }

    /// <summary>A context that grew past this (for a big window) is freed rather than kept for the thread.</summary>
    private const int LargestCachedContext = 16 * 1024 * 1024;

    private const int LargestOutputRequest = 256 * 1024;

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level)
    {
        ZstdLibrary zstd = ZstdLibrary.Instance;
        int outputRequest = (int)Math.Min(CompressBound(source.Length), LargestOutputRequest);
        ZstdCompressionContext context = ZstdCompressionContext.Rent();
        bool completed = false;
        try
        {
            zstd.StartFrame(context.Pointer, level, (ulong)source.Length);
            fixed (byte* src = source)
            {
                var input = new ZstdInBuffer { Source = src, Size = (nuint)source.Length };
                nuint remaining;
                do
                {
                    Span<byte> span = destination.GetSpan(outputRequest);
                    fixed (byte* dst = span)
                    {
                        var output = new ZstdOutBuffer { Destination = dst, Size = (nuint)span.Length };
                        remaining = zstd.CompressEnd(context.Pointer, &output, &input);
                        if (zstd.IsError(remaining))
                            throw new InvalidOperationException($"zstd: compression failed: {zstd.ErrorName(remaining)}");
                        destination.Advance((int)output.Position);
                    }
                }
                while (remaining != 0);
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
        ZstdLibrary zstd = ZstdLibrary.Instance;
        var output = new DecompressionOutput(destination, maxDecompressedBytes, "zstd", stackalloc byte[1]);
        ZstdDecompressionContext context = ZstdDecompressionContext.Rent();
        bool completed = false;
        try
        {
            zstd.StartDecompression(context.Pointer, WindowLogFor(maxDecompressedBytes));
            fixed (byte* src = source)
            {
                var input = new ZstdInBuffer { Source = src, Size = (nuint)source.Length };
                while (!completed)
                {
                    Span<byte> span = output.GetSpan();
                    nuint readBefore = input.Position;
                    nuint hint;
                    int written;
                    fixed (byte* dst = span)
                    {
                        var buffer = new ZstdOutBuffer { Destination = dst, Size = (nuint)span.Length };
                        hint = zstd.DecompressStream(context.Pointer, &buffer, &input);
                        written = (int)buffer.Position;
                    }
                    if (zstd.IsError(hint))
                        throw new InvalidDataException($"zstd: corrupt input near byte {input.Position}: {zstd.ErrorName(hint)}");
                    output.Advance(written);

                    bool inputLeft = input.Position < input.Size;
                    completed = hint == 0 && !inputLeft;
                    // hint == 0 with input left: the next frame of a concatenation begins.
                    if (hint != 0 && !inputLeft && written < span.Length)
                        throw new InvalidDataException("zstd: input ends inside a frame (truncated)");
                    if (!completed && input.Position == readBefore && written == 0)
                        throw new InvalidDataException($"zstd: decoder stopped making progress at byte {input.Position}");
                }
            }
        }
        finally
        {
            // Only a context that finished cleanly and stayed small is kept for the thread.
            context.ReturnOrFree(completed && zstd.SizeOfDecompressionContext(context.Pointer) <= LargestCachedContext);
        }
    }

    /// <summary>ZSTD_COMPRESSBOUND: the largest frame one call can produce for this much input.</summary>
    private static long CompressBound(int sourceSize)
    {
        const int smallSourceLimit = 128 * 1024;
        long margin = sourceSize < smallSourceLimit ? (smallSourceLimit - sourceSize) >> 11 : 0;
        return sourceSize + (sourceSize >> 8) + margin;
    }
}
