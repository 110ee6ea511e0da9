using Gregor.Protocol.Compression;

namespace Gregor.Protocol.Records;

/// <summary>
/// Decompression of a batch's records section (or a legacy wrapper's value), reported as a
/// validation result so callers on the produce path need no exception handling.
/// </summary>
internal static class RecordsSectionCompression
{
    /// <summary>Largest codec id the v2 format defines (zstd).</summary>
    public const byte MaxCodecId = (byte)CompressionType.Zstd;

    /// <summary>A first buffer size for decompressing <paramref name="compressedLength"/> bytes: a guess at the ratio, within the limit.</summary>
    public static int InitialCapacity(int compressedLength, int maxDecompressedBytes) =>
        (int)Math.Clamp(compressedLength * 4L, 256, Math.Max(256, maxDecompressedBytes));

    /// <summary>
    /// Decompresses <paramref name="compressed"/> into <paramref name="destination"/>. A codec whose
    /// native library this machine lacks is reported at <paramref name="attributesPosition"/>; data
    /// that is corrupt or decompresses past the limit, at <paramref name="compressedPosition"/>.
    /// </summary>
    public static RecordBatchValidationResult TryDecompress(byte codec, ReadOnlySpan<byte> compressed, int maxDecompressedBytes,
        PooledByteBufferWriter destination, int attributesPosition, int compressedPosition)
    {
        if (codec > MaxCodecId) return new(RecordBatchError.InvalidCompressionCodec, attributesPosition, MaxCodecId, codec);
        // The codecs report bad input by exception; this is the one place that turns it into a result.
        try
        {
            CompressionCodec.Decompress((CompressionType)codec, compressed, destination, maxDecompressedBytes);
            return default;
        }
        catch (InvalidDataException e)
        {
            return new(RecordBatchError.DecompressionFailed, compressedPosition, maxDecompressedBytes, compressed.Length, detail: e.Message);
        }
        catch (DllNotFoundException e)
        {
            return new(RecordBatchError.UnsupportedCompression, attributesPosition, 0, codec, detail: e.Message);
        }
    }
}
