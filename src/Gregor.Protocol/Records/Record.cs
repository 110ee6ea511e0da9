namespace Gregor.Protocol.Records;

/// <summary>
/// One record of a v2 batch, as spans over the batch (or its decompressed records section).
/// Valid only while those bytes are; copy what must outlive them.
/// </summary>
public readonly ref struct Record
{
    private readonly RecordContext _context;

    internal Record(ReadOnlySpan<byte> encoded, byte attributes, long timestampDelta, int offsetDelta,
        NullableBytes key, NullableBytes value, RecordHeaders headers, scoped in RecordContext context)
    {
        Encoded = encoded;
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Key = key;
        Value = value;
        Headers = headers;
        _context = context;
    }

    /// <summary>The whole record as encoded, length prefix included.</summary>
    public ReadOnlySpan<byte> Encoded { get; }

    /// <summary>Per-record attributes; unused by the format so far.</summary>
    public byte Attributes { get; }

    public long TimestampDelta { get; }

    public int OffsetDelta { get; }

    public NullableBytes Key { get; }

    public NullableBytes Value { get; }

    /// <summary>A null value: the record deletes its key when the log is compacted.</summary>
    public bool IsTombstone => Value.IsNull;

    public RecordHeaders Headers { get; }

    /// <summary>The record's offset: the batch's base offset plus the offset delta.</summary>
    public long Offset => _context.BaseOffset + OffsetDelta;

    /// <summary>The record's timestamp: the batch's max timestamp for log-append-time batches, else base timestamp plus delta.</summary>
    public long Timestamp => _context.TimestampType == TimestampType.LogAppendTime
        ? _context.MaxTimestamp
        : _context.BaseTimestamp + TimestampDelta;
}

/// <summary>The batch fields a record needs to know its absolute offset and timestamp.</summary>
internal readonly record struct RecordContext(long BaseOffset, long BaseTimestamp, long MaxTimestamp, TimestampType TimestampType);
