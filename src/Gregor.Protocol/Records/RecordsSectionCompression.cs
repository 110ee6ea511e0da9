namespace Gregor.Protocol.Records;

/// <summary>
/// Decompression of a batch's records section (or a legacy wrapper's value), reported as a
/// validation result so callers on the produce path need no exception handling.
/// </summary>
internal static class RecordsSectionCompression
{
    /// <summary>Largest codec id the v2 format defines (zstd).</summary>
    public const byte MaxCodecId = 4;

    /// <summary>
    /// Decompresses <paramref name="compressed"/> into <paramref name="destination"/>. A codec this
    /// build lacks is reported at <paramref name="attributesPosition"/>; data that will not
    /// decompress, at <paramref name="compressedPosition"/>.
    /// </summary>
    public static RecordBatchValidationResult TryDecompress(byte codec, ReadOnlySpan<byte> compressed, int maxDecompressedBytes,
        PooledByteBufferWriter destination, int attributesPosition, int compressedPosition)
    {
        _ = compressed;
        _ = maxDecompressedBytes;
        _ = destination;
        _ = compressedPosition;
        // The compression codecs are not part of this build yet.
        return new(RecordBatchError.UnsupportedCompression, attributesPosition, 0, codec);
    }
}
