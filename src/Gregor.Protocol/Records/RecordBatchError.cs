namespace Gregor.Protocol.Records;

/// <summary>
/// What is wrong with bytes that claim to be record batches (or legacy messages). Each value
/// names one defect precisely so the broker can log it and pick the matching Kafka error code
/// (framing and CRC defects map to CORRUPT_MESSAGE, the rest mostly to INVALID_RECORD).
/// </summary>
public enum RecordBatchError : byte
{
    None = 0,

    // Framing: the 12-byte log overhead (offset + length) and the length it declares.

    /// <summary>Fewer bytes than the fixed header needs (12 bytes of log overhead, or the 61-byte v2 header).</summary>
    TruncatedHeader,

    /// <summary>The declared length is below the minimum for the format (49 for v2, 14 for a v0 message, 22 for v1).</summary>
    BatchLengthTooSmall,

    /// <summary>The declared size (length + 12) exceeds the configured maximum.</summary>
    BatchTooLarge,

    /// <summary>The declared size runs past the bytes available.</summary>
    TruncatedBatch,

    /// <summary>Bytes remain after the one batch that was expected.</summary>
    TrailingBytes,

    /// <summary>The magic byte is not one this operation accepts.</summary>
    UnsupportedMagic,

    /// <summary>The stored checksum (CRC32C for v2, CRC32 for v0/v1) does not match the bytes.</summary>
    CrcMismatch,

    // Header fields.

    /// <summary>Compression bits name no codec (5..7, or zstd in a v0/v1 message).</summary>
    InvalidCompressionCodec,

    /// <summary>The codec is valid but this build cannot decompress it.</summary>
    UnsupportedCompression,

    /// <summary>
    /// The compressed records are corrupt, truncated, or would decompress past the configured
    /// maximum; the codec's reason is in <see cref="RecordBatchValidationResult.Detail"/>.
    /// </summary>
    DecompressionFailed,

    /// <summary>The header's record count is negative, zero where records are required, or more than the bytes can hold.</summary>
    InvalidRecordCount,

    /// <summary>lastOffsetDelta does not fit the record count.</summary>
    InvalidOffsetRange,

    /// <summary>The transactional bit is set but the batch has no producer id.</summary>
    TransactionalWithoutProducerId,

    /// <summary>A producer id is set but the producer epoch is negative.</summary>
    InvalidProducerEpoch,

    /// <summary>A client batch with a producer id carries a negative base sequence.</summary>
    InvalidBaseSequence,

    /// <summary>A control batch where none is allowed (clients may not write them).</summary>
    ControlBatchNotAllowed,

    // Records inside the records section.

    /// <summary>A varint is longer than its type allows.</summary>
    MalformedVarint,

    /// <summary>A record's length prefix is negative, cut off, or runs past the records section.</summary>
    InvalidRecordLength,

    /// <summary>The fields of a record do not exactly fill the length its prefix declares.</summary>
    RecordSizeMismatch,

    /// <summary>A key length is below -1 or runs past the record.</summary>
    InvalidKeyLength,

    /// <summary>A value length is below -1 or runs past the record.</summary>
    InvalidValueLength,

    /// <summary>A header count is negative or more than the record can hold.</summary>
    InvalidHeaderCount,

    /// <summary>A header key length is negative or runs past the record.</summary>
    InvalidHeaderKeyLength,

    /// <summary>A header value length is below -1 or runs past the record.</summary>
    InvalidHeaderValueLength,

    /// <summary>The records section ends before the number of records the header declares.</summary>
    RecordCountMismatch,

    /// <summary>Bytes remain in the records section after the declared number of records.</summary>
    TrailingRecordBytes,

    /// <summary>A record's offset delta is not the expected one (its index, or increasing within lastOffsetDelta when gaps are allowed).</summary>
    InvalidOffsetDelta,

    /// <summary>baseTimestamp + timestampDelta overflows a 64-bit integer.</summary>
    TimestampOverflow,

    /// <summary>A control record's key or value is not a well-formed control record.</summary>
    InvalidControlRecord,

    // Legacy (magic 0 and 1) message sets.

    /// <summary>A legacy message set holds no messages (or a compressed wrapper holds none).</summary>
    EmptyMessageSet,

    /// <summary>A compressed wrapper message has a null value.</summary>
    MissingWrapperValue,

    /// <summary>A message inside a compressed wrapper is itself compressed.</summary>
    NestedCompression,

    /// <summary>A message inside a compressed wrapper has a different magic than its wrapper.</summary>
    InnerMagicMismatch,
}
