using Gregor.Protocol.Compression;

namespace Gregor.Protocol.Records;

/// <summary>
/// What validating one v2 batch learned, for the caller that appends it: sizes, offsets,
/// producer state and the timestamps computed from the records (which the broker writes into
/// the header and the time index).
/// </summary>
public readonly record struct RecordBatchInfo
{
    public int TotalSize { get; init; }

    public long BaseOffset { get; init; }

    public int LastOffsetDelta { get; init; }

    public int RecordCount { get; init; }

    public CompressionType Compression { get; init; }

    public TimestampType TimestampType { get; init; }

    public bool IsTransactional { get; init; }

    public bool IsControl { get; init; }

    public long ProducerId { get; init; }

    public short ProducerEpoch { get; init; }

    public int BaseSequence { get; init; }

    /// <summary>
    /// Largest record timestamp when the records were read (create-time batches), else the header's
    /// max timestamp. A broker rewrites the header's field when it differs.
    /// </summary>
    public long MaxTimestamp { get; init; }

    /// <summary>Offset delta of the record with <see cref="MaxTimestamp"/> (the first one, on ties); lastOffsetDelta when records were not read.</summary>
    public int OffsetDeltaOfMaxTimestamp { get; init; }

    /// <summary>Whether the records were parsed (false for compressed batches when <see cref="RecordBatchValidationOptions.CheckCompressedRecords"/> is off).</summary>
    public bool RecordsChecked { get; init; }

    /// <summary>The control record type of a control batch's first record (the marker type of a transaction marker batch).</summary>
    public ControlRecordType? ControlType { get; init; }
}
