using System.Buffers.Binary;
using System.Text;
using Gregor.Protocol.Compression;
using Gregor.Protocol.Primitives;
using H = Gregor.Protocol.Records.RecordBatchHeader;

namespace Gregor.Protocol.Records;

/// <summary>
/// Builds one v2 record batch in a pooled buffer: append records, set the batch fields, then
/// <see cref="Build"/>. Reusable: <see cref="Reset"/> starts the next batch with the same settings.
/// Misuse (a delta that does not fit, appending control records to a data batch) throws, since it
/// is a bug in the caller rather than bad input from the wire.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    private readonly PooledByteBufferWriter _buffer;
    private PooledByteBufferWriter? _compressed;
    private int _count;
    private int _nextOffsetDelta;
    private long _maxTimestamp;
    private long? _baseTimestamp;

    public RecordBatchBuilder(int initialCapacity = 1024)
    {
        _buffer = new PooledByteBufferWriter(Math.Max(initialCapacity, H.Size));
        Reset();
    }

    /// <summary>Offset of the first record; brokers overwrite it when they append the batch.</summary>
    public long BaseOffset { get; set; }

    public int PartitionLeaderEpoch { get; set; } = H.NoPartitionLeaderEpoch;

    /// <summary>Codec for the records section, applied once in <see cref="Build"/>.</summary>
    public CompressionType Compression { get; set; } = CompressionType.None;

    /// <summary>Codec level; null for Kafka's default for the codec.</summary>
    public int? CompressionLevel { get; set; }

    public TimestampType TimestampType { get; set; } = TimestampType.CreateTime;

    /// <summary>The broker's append time, written as the max timestamp of a log-append-time batch.</summary>
    public long LogAppendTime { get; set; } = -1;

    public bool IsTransactional { get; set; }

    public bool IsControl { get; set; }

    /// <summary>Marks the base timestamp as compaction's delete horizon (set <see cref="BaseTimestamp"/> to it).</summary>
    public bool HasDeleteHorizon { get; set; }

    public long ProducerId { get; set; } = H.NoProducerId;

    public short ProducerEpoch { get; set; } = H.NoProducerEpoch;

    public int BaseSequence { get; set; } = H.NoSequence;

    /// <summary>
    /// The timestamp deltas are relative to this; by default the first record's timestamp. Only
    /// settable before the first record, since the deltas already written depend on it.
    /// </summary>
    public long? BaseTimestamp
    {
        get => _baseTimestamp;
        set
        {
            if (_count > 0) throw new InvalidOperationException("the base timestamp cannot change once records are appended");
            _baseTimestamp = value;
        }
    }

    /// <summary>
    /// Offset delta the next record gets. Normally one past the last; set it higher to leave gaps
    /// (compaction keeps the surviving records' original offsets).
    /// </summary>
    public int NextOffsetDelta
    {
        get => _nextOffsetDelta;
        set
        {
            if (value < _nextOffsetDelta) throw new ArgumentOutOfRangeException(nameof(value), value, $"offset deltas must increase; the next is at least {_nextOffsetDelta}");
            _nextOffsetDelta = value;
        }
    }

    /// <summary>lastOffsetDelta to write instead of the last record's (compaction keeps the original batch's range); null for the last record's.</summary>
    public int? LastOffsetDelta { get; set; }

    public int Count => _count;

    /// <summary>Size of the batch built so far without compression: header plus records (an upper bound for batch.size checks).</summary>
    public int UncompressedSize => _buffer.WrittenCount;

    public void Append(long timestamp, NullableBytes key, NullableBytes value) =>
        AppendRecord(timestamp, key, value, 0, default, []);

    public void Append(long timestamp, NullableBytes key, NullableBytes value, ReadOnlySpan<RecordHeaderData> headers)
    {
        long size = 0;
        foreach (var header in headers)
        {
            ArgumentNullException.ThrowIfNull(header.Key, nameof(headers));
            int keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            int valueLength = header.Value is { } v ? v.Length : -1;
            size += Varint.SizeOfZigZag32(keyBytes) + keyBytes + Varint.SizeOfZigZag32(valueLength) + Math.Max(valueLength, 0);
        }
        if (size > int.MaxValue) throw new ArgumentException("headers are too large for one record", nameof(headers));
        AppendRecord(timestamp, key, value, headers.Length, default, headers, (int)size);
    }

    /// <summary>Appends a record with headers exactly as another record encoded them (copying records between batches).</summary>
    public void Append(long timestamp, NullableBytes key, NullableBytes value, RecordHeaders headers) =>
        AppendRecord(timestamp, key, value, headers.Count, headers.Encoded, []);

    /// <summary>Appends a control record (key: version and type) to a control batch.</summary>
    public void AppendControlRecord(long timestamp, ControlRecordType type, NullableBytes value)
    {
        if (!IsControl) throw new InvalidOperationException("control records belong in a control batch: set IsControl first");
        Span<byte> key = stackalloc byte[ControlRecord.KeySize];
        ControlRecord.WriteKey(key, type);
        AppendRecord(timestamp, (ReadOnlySpan<byte>)key, value, 0, default, []);
    }

    /// <summary>Appends the commit or abort marker a transaction coordinator writes to each partition.</summary>
    public void AppendEndTransactionMarker(long timestamp, ControlRecordType marker, int coordinatorEpoch)
    {
        if (!ControlRecord.IsTransactionMarker(marker)) throw new ArgumentOutOfRangeException(nameof(marker), marker, "a transaction marker is Abort or Commit");
        if (!IsTransactional) throw new InvalidOperationException("transaction markers belong in a transactional batch: set IsTransactional first");
        Span<byte> value = stackalloc byte[ControlRecord.EndTransactionMarkerValueSize];
        ControlRecord.WriteEndTransactionMarkerValue(value, coordinatorEpoch);
        AppendControlRecord(timestamp, marker, (ReadOnlySpan<byte>)value);
    }

    private void AppendRecord(long timestamp, NullableBytes key, NullableBytes value, int headerCount,
        ReadOnlySpan<byte> encodedHeaders, ReadOnlySpan<RecordHeaderData> headers, int headersSize = -1)
    {
        if (_count == int.MaxValue || _nextOffsetDelta == int.MaxValue) throw new InvalidOperationException("a batch holds at most int.MaxValue records");
        long baseTimestamp = _baseTimestamp ?? timestamp;
        long timestampDelta = timestamp - baseTimestamp;
        if (((timestamp ^ baseTimestamp) & (timestamp ^ timestampDelta)) < 0)
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, $"too far from the base timestamp {baseTimestamp}");

        int offsetDelta = _nextOffsetDelta;
        if (headersSize < 0) headersSize = encodedHeaders.Length;
        long bodySize = 1L
            + Varint.SizeOfZigZag64(timestampDelta)
            + Varint.SizeOfZigZag32(offsetDelta)
            + Varint.SizeOfZigZag32(key.WireLength) + key.Length
            + Varint.SizeOfZigZag32(value.WireLength) + value.Length
            + Varint.SizeOfZigZag32(headerCount) + headersSize;
        if (bodySize > int.MaxValue - Varint.MaxBytes32) throw new ArgumentException("record is too large for a batch");
        int recordSize = Varint.SizeOfZigZag32((int)bodySize) + (int)bodySize;

        var span = _buffer.GetSpan(recordSize);
        int p = Varint.WriteZigZag32(span, (int)bodySize);
        span[p++] = 0; // record attributes: none defined
        p += Varint.WriteZigZag64(span[p..], timestampDelta);
        p += Varint.WriteZigZag32(span[p..], offsetDelta);
        p += WriteNullableBytes(span[p..], key);
        p += WriteNullableBytes(span[p..], value);
        p += Varint.WriteZigZag32(span[p..], headerCount);
        if (headers.IsEmpty)
        {
            encodedHeaders.CopyTo(span[p..]);
            p += encodedHeaders.Length;
        }
        else
        {
            foreach (var header in headers)
            {
                int keyBytes = Encoding.UTF8.GetByteCount(header.Key);
                p += Varint.WriteZigZag32(span[p..], keyBytes);
                p += Encoding.UTF8.GetBytes(header.Key, span[p..]);
                p += WriteNullableBytes(span[p..], header.Value is { } v ? v.Span : NullableBytes.Null);
            }
        }
        _buffer.Advance(p);

        _baseTimestamp = baseTimestamp;
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        _count++;
        _nextOffsetDelta = offsetDelta + 1;
    }

    private static int WriteNullableBytes(Span<byte> destination, NullableBytes bytes)
    {
        int p = Varint.WriteZigZag32(destination, bytes.WireLength);
        bytes.Span.CopyTo(destination[p..]);
        return p + bytes.Length;
    }

    /// <summary>
    /// Completes the batch: compresses the records section if asked, then writes the header fields,
    /// attributes, counts, timestamps and CRC. The memory belongs to the builder and stays valid
    /// until the next Build, Append, Reset or Dispose.
    /// </summary>
    /// <exception cref="DllNotFoundException">lz4 or zstd was asked for and its system library is missing.</exception>
    public ReadOnlyMemory<byte> Build()
    {
        int lastOffsetDelta = LastOffsetDelta ?? _nextOffsetDelta - 1;
        if (lastOffsetDelta < _nextOffsetDelta - 1 || lastOffsetDelta < 0)
            throw new InvalidOperationException($"lastOffsetDelta {lastOffsetDelta} must be at least {Math.Max(_nextOffsetDelta - 1, 0)}; an empty batch needs LastOffsetDelta set");
        if (Compression is < CompressionType.None or > CompressionType.Zstd)
            throw new InvalidOperationException($"compression {(int)Compression} is not a codec");

        var output = _buffer;
        if (Compression != CompressionType.None)
        {
            _compressed ??= new PooledByteBufferWriter(Math.Max(_buffer.WrittenCount / 2, H.Size * 2));
            _compressed.Clear();
            _compressed.GetSpan(H.Size)[..H.Size].Clear();
            _compressed.Advance(H.Size);
            CompressionCodec.Compress(Compression, _buffer.WrittenSpan[H.Size..], _compressed, CompressionLevel);
            output = _compressed;
        }
        var batch = output.WrittenSpanForUpdate;

        var attributes = (RecordBatchAttributes)(byte)Compression;
        if (TimestampType == TimestampType.LogAppendTime) attributes |= RecordBatchAttributes.LogAppendTime;
        if (IsTransactional) attributes |= RecordBatchAttributes.Transactional;
        if (IsControl) attributes |= RecordBatchAttributes.Control;
        if (HasDeleteHorizon) attributes |= RecordBatchAttributes.HasDeleteHorizon;

        const long noTimestamp = -1;
        long baseTimestamp = _baseTimestamp ?? noTimestamp;
        long maxTimestamp = TimestampType == TimestampType.LogAppendTime ? LogAppendTime
            : _count > 0 ? _maxTimestamp : noTimestamp;

        BinaryPrimitives.WriteInt64BigEndian(batch[H.BaseOffsetOffset..], BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[H.BatchLengthOffset..], batch.Length - H.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[H.PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        batch[H.MagicOffset] = H.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[H.AttributesOffset..], (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[H.LastOffsetDeltaOffset..], lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(batch[H.BaseTimestampOffset..], baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[H.MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[H.ProducerIdOffset..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[H.ProducerEpochOffset..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[H.BaseSequenceOffset..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[H.RecordsCountOffset..], _count);
        BinaryPrimitives.WriteUInt32BigEndian(batch[H.CrcOffset..], Crc32C.Compute(batch[H.CrcCoveredStart..]));
        return output.WrittenMemory;
    }

    /// <summary>Starts a new batch: drops the records and the base timestamp and lastOffsetDelta overrides; keeps the other settings.</summary>
    public void Reset()
    {
        _buffer.Clear();
        _buffer.GetSpan(H.Size)[..H.Size].Clear();
        _buffer.Advance(H.Size);
        _count = 0;
        _nextOffsetDelta = 0;
        _maxTimestamp = long.MinValue;
        _baseTimestamp = null;
        LastOffsetDelta = null;
    }

    public void Dispose()
    {
        _buffer.Dispose();
        _compressed?.Dispose();
    }
}
