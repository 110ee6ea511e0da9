using System.Buffers;

namespace Gregor.Protocol.Compression;

/// <summary>
/// Compresses and decompresses the records section of a record batch with the codec its
/// attributes name, in the forms the Java client and librdkafka write and read.
/// </summary>
public static class CompressionCodec
{
    /// <summary>
    /// Appends the compressed form of <paramref name="source"/> to <paramref name="destination"/>.
    /// <paramref name="level"/> null means Kafka's default for the codec (gzip: zlib's default 6,
    /// lz4: 9, zstd: 3); otherwise it must be in Kafka's range (gzip 1..9 or -1, lz4 1..17,
    /// zstd -131072..22). None and snappy have no levels and ignore it.
    /// </summary>
    /// <exception cref="DllNotFoundException">lz4 or zstd was asked for and its system library is missing.</exception>
    public static void Compress(CompressionType type, ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int? level = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        switch (type)
        {
            case CompressionType.None:
                destination.Write(source);
                break;
            case CompressionType.Gzip:
                GzipCodec.Compress(source, destination, Level(type, level, GzipCodec.DefaultLevel, GzipCodec.MinLevel, GzipCodec.MaxLevel));
                break;
            case CompressionType.Snappy:
                SnappyCodec.Compress(source, destination);
                break;
            case CompressionType.Lz4:
                Lz4FrameCodec.Compress(source, destination, Level(type, level, Lz4FrameCodec.DefaultLevel, Lz4FrameCodec.MinLevel, Lz4FrameCodec.MaxLevel));
                break;
            case CompressionType.Zstd:
                ZstdCodec.Compress(source, destination, Level(type, level, ZstdCodec.DefaultLevel, ZstdCodec.MinLevel, ZstdCodec.MaxLevel));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not a compression type");
        }
    }

    /// <summary>
    /// Appends the decompressed form of <paramref name="source"/> to <paramref name="destination"/>.
    /// Throws <see cref="InvalidDataException"/> if the input is corrupt or truncated, names an
    /// unknown codec, or would decompress to more than <paramref name="maxDecompressedBytes"/>
    /// (checked before the destination grows past the limit). After a throw the destination may
    /// hold part of the output; discard it.
    /// </summary>
    /// <exception cref="DllNotFoundException">lz4 or zstd was asked for and its system library is missing.</exception>
    public static void Decompress(CompressionType type, ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int maxDecompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDecompressedBytes);
        if (type == CompressionType.None)
        {
            if (source.Length > maxDecompressedBytes)
                throw DecompressionOutput.TooLarge("none", maxDecompressedBytes);
            destination.Write(source);
            return;
        }
        // Every codec's output has at least a header, so no bytes at all is never valid.
        if (source.IsEmpty)
            throw new InvalidDataException($"{Name(type)}: compressed input is empty");
        switch (type)
        {
            case CompressionType.Gzip:
                GzipCodec.Decompress(source, destination, maxDecompressedBytes);
                break;
            case CompressionType.Snappy:
                SnappyCodec.Decompress(source, destination, maxDecompressedBytes);
                break;
            case CompressionType.Lz4:
                Lz4FrameCodec.Decompress(source, destination, maxDecompressedBytes);
                break;
            case CompressionType.Zstd:
                ZstdCodec.Decompress(source, destination, maxDecompressedBytes);
                break;
            default:
                throw new InvalidDataException($"unknown compression type {(int)type}");
        }
    }

    /// <summary>Reads a codec by its Kafka configuration name: none, gzip, snappy, lz4, zstd (any case).</summary>
    public static bool TryParse(string name, out CompressionType type)
    {
        foreach (CompressionType candidate in Enum.GetValues<CompressionType>())
        {
            if (string.Equals(name, Name(candidate), StringComparison.OrdinalIgnoreCase))
            {
                type = candidate;
                return true;
            }
        }
        type = CompressionType.None;
        return false;
    }

    private static string Name(CompressionType type) => type switch
    {
        CompressionType.None => "none",
        CompressionType.Gzip => "gzip",
        CompressionType.Snappy => "snappy",
        CompressionType.Lz4 => "lz4",
        CompressionType.Zstd => "zstd",
        _ => $"compression type {(int)type}",
    };

    private static int Level(CompressionType type, int? level, int defaultLevel, int min, int max)
    {
        if (level is null || level == defaultLevel)
            return defaultLevel;
        if (level < min || level > max)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"{Name(type)} levels are {min}..{max}");
        return level.Value;
    }
}
