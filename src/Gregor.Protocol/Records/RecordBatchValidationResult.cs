namespace Gregor.Protocol.Records;

/// <summary>
/// The outcome of validating or reading record batches: the defect (or <see cref="RecordBatchError.None"/>),
/// where it is, and the two numbers that disagree. A plain struct so the valid path allocates
/// nothing; the human-readable <see cref="Message"/> is only formatted when asked for.
/// </summary>
public readonly struct RecordBatchValidationResult : IEquatable<RecordBatchValidationResult>
{
    public const int NoPosition = -1;

    public RecordBatchValidationResult(RecordBatchError error, int position, long expected = 0, long actual = 0,
        int decompressedPosition = NoPosition, string? detail = null)
    {
        Error = error;
        Position = position;
        Expected = expected;
        Actual = actual;
        DecompressedPosition = decompressedPosition;
        Detail = detail;
    }

    public static RecordBatchValidationResult Valid => default;

    public RecordBatchError Error { get; }

    public bool IsValid => Error == RecordBatchError.None;

    /// <summary>
    /// Byte position of the defect in the input that was handed to the validator or reader. When
    /// the defect is inside decompressed data, this is the position of the compressed section
    /// (or legacy wrapper) and <see cref="DecompressedPosition"/> locates it inside the decompressed bytes.
    /// </summary>
    public int Position { get; }

    /// <summary>Position inside decompressed data, or <see cref="NoPosition"/> when the defect is in the input itself.</summary>
    public int DecompressedPosition { get; }

    /// <summary>What the format (or the header) says the value should be; meaning depends on <see cref="Error"/>.</summary>
    public long Expected { get; }

    /// <summary>What the bytes actually hold; meaning depends on <see cref="Error"/>.</summary>
    public long Actual { get; }

    /// <summary>An explanation from a lower layer (e.g. the codec's reason a section would not decompress), or null.</summary>
    public string? Detail { get; }

    /// <summary>The same defect, seen from an input that starts <paramref name="shift"/> bytes earlier.</summary>
    public RecordBatchValidationResult ShiftedBy(int shift) =>
        IsValid ? this : new(Error, Position + shift, Expected, Actual, DecompressedPosition, Detail);

    /// <summary>A defect found at <see cref="Position"/> of decompressed data that came from <paramref name="compressedPosition"/> of the input.</summary>
    internal RecordBatchValidationResult InDecompressedData(int compressedPosition) =>
        IsValid ? this : new(Error, compressedPosition, Expected, Actual, Position, Detail);

    public string Message => IsValid ? "valid"
        : Detail is null ? $"{Error}: {Describe()} {Where()}"
        : $"{Error}: {Describe()} {Where()} ({Detail})";

    public override string ToString() => Message;

    private string Where() => DecompressedPosition == NoPosition
        ? $"at byte {Position}"
        : $"at byte {DecompressedPosition} of the data decompressed from byte {Position}";

    private string Describe() => Error switch
    {
        RecordBatchError.TruncatedHeader => $"the header needs {Expected} bytes but only {Actual} remain",
        RecordBatchError.BatchLengthTooSmall => $"declared length {Actual} is below the minimum {Expected}",
        RecordBatchError.BatchTooLarge => $"declared size {Actual} exceeds the limit {Expected}",
        RecordBatchError.TruncatedBatch => $"declared size {Expected} but only {Actual} bytes remain",
        RecordBatchError.TrailingBytes => $"{Actual} bytes follow the batch of size {Expected}",
        RecordBatchError.UnsupportedMagic => $"magic {Actual} is not accepted here (expected {Expected})",
        RecordBatchError.CrcMismatch => $"stored checksum 0x{Expected:x8} but the bytes give 0x{Actual:x8}",
        RecordBatchError.InvalidCompressionCodec => $"compression codec id {Actual} is not valid for this format",
        RecordBatchError.UnsupportedCompression => $"compression codec id {Actual} is not supported by this build",
        RecordBatchError.DecompressionFailed => $"{Actual} compressed bytes did not decompress within the limit of {Expected} bytes",
        RecordBatchError.InvalidRecordCount => $"record count {Actual} is invalid (at most {Expected} fit)",
        RecordBatchError.InvalidOffsetRange => $"lastOffsetDelta {Actual} does not fit {Expected} records",
        RecordBatchError.TransactionalWithoutProducerId => $"transactional batch has producer id {Actual}",
        RecordBatchError.InvalidProducerEpoch => $"producer epoch {Actual} with producer id {Expected}",
        RecordBatchError.InvalidBaseSequence => $"base sequence {Actual} with producer id {Expected}",
        RecordBatchError.ControlBatchNotAllowed => "control batches are not accepted here",
        RecordBatchError.MalformedVarint => $"varint longer than {Expected} bytes or out of range",
        RecordBatchError.InvalidRecordLength => $"record length {Actual} with {Expected} bytes left in the records section",
        RecordBatchError.RecordSizeMismatch => $"record declares {Expected} bytes but its fields take {Actual}",
        RecordBatchError.InvalidKeyLength => $"key length {Actual} with {Expected} bytes left in the record",
        RecordBatchError.InvalidValueLength => $"value length {Actual} with {Expected} bytes left in the record",
        RecordBatchError.InvalidHeaderCount => $"header count {Actual} with {Expected} bytes left in the record",
        RecordBatchError.InvalidHeaderKeyLength => $"header key length {Actual} with {Expected} bytes left in the record",
        RecordBatchError.InvalidHeaderValueLength => $"header value length {Actual} with {Expected} bytes left in the record",
        RecordBatchError.RecordCountMismatch => $"header declares {Expected} records but the section holds only {Actual}",
        RecordBatchError.TrailingRecordBytes => $"{Actual} bytes remain after the {Expected} declared records",
        RecordBatchError.InvalidOffsetDelta => $"record offset delta {Actual}, expected {(Expected >= 0 ? Expected.ToString(System.Globalization.CultureInfo.InvariantCulture) : "an increasing delta within lastOffsetDelta")}",
        RecordBatchError.TimestampOverflow => $"timestamp delta {Actual} overflows base timestamp {Expected}",
        RecordBatchError.InvalidControlRecord => $"control record needs {Expected} but has {Actual} (key/value bytes, record count or type, see the position)",
        RecordBatchError.EmptyMessageSet => "message set holds no messages",
        RecordBatchError.MissingWrapperValue => "compressed wrapper message has a null value",
        RecordBatchError.NestedCompression => $"inner message is compressed with codec {Actual}",
        RecordBatchError.InnerMagicMismatch => $"inner message magic {Actual} differs from wrapper magic {Expected}",
        _ => $"expected {Expected}, actual {Actual}",
    };

    public bool Equals(RecordBatchValidationResult other) =>
        Error == other.Error && Position == other.Position && DecompressedPosition == other.DecompressedPosition
        && Expected == other.Expected && Actual == other.Actual && string.Equals(Detail, other.Detail, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is RecordBatchValidationResult other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Error, Position, DecompressedPosition, Expected, Actual, Detail);

    public static bool operator ==(RecordBatchValidationResult left, RecordBatchValidationResult right) => left.Equals(right);

    public static bool operator !=(RecordBatchValidationResult left, RecordBatchValidationResult right) => !left.Equals(right);
}
