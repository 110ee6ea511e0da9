using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Gregor.Protocol.Records;
using WireCompression = Gregor.Protocol.Compression.CompressionType;
using WireTimestampType = Gregor.Protocol.Records.TimestampType;

namespace Gregor.Client.Consumer;

/// <summary>Where one record's parts lie in the records section of the batch being consumed.</summary>
internal struct RecordSlot
{
    public long Offset;
    public long Timestamp;
    public int KeyStart;

    /// <summary>-1 for a null key.</summary>
    public int KeyLength;
    public int ValueStart;

    /// <summary>-1 for a null value (a tombstone).</summary>
    public int ValueLength;
    public int HeadersStart;
    public int HeadersLength;
    public int HeaderCount;
}

/// <summary>What decoding the batch at a position of a partition's fetched records found.</summary>
internal enum BatchOutcome
{
    /// <summary>Records at or after the position are ready to take.</summary>
    Records,

    /// <summary>A batch with nothing to deliver (control, aborted, empty, or wholly before the position): move past it.</summary>
    Skipped,

    /// <summary>No whole batch left (the end, or a partial batch the broker cut off).</summary>
    End,

    /// <summary>The batch cannot be read: <see cref="RecordBatchDecoder.Error"/> says why.</summary>
    Corrupt,
}

/// <summary>
/// Decodes one record batch at a time for the consuming thread: frames it, checks its CRC (check.crcs), skips
/// control and aborted batches, decompresses into one buffer reused for every batch, and notes where each
/// record's key, value and headers lie. Records are then taken one by one, read in place from the response frame
/// or that buffer. Nothing is allocated per record or per batch once the buffers have grown to the largest batch.
/// </summary>
internal sealed class RecordBatchDecoder : IDisposable
{
    private readonly PooledByteBufferWriter _decompressed = new(64 * 1024);
    private readonly bool _checkCrcs;
    private readonly int _maxDecompressedBytes;
    private RecordSlot[] _slots = new RecordSlot[256];
    private ReadOnlyMemory<byte> _section;
    private int _count;
    private int _next;

    public RecordBatchDecoder(bool checkCrcs, int maxDecompressedBytes)
    {
        _checkCrcs = checkCrcs;
        _maxDecompressedBytes = maxDecompressedBytes;
    }

    /// <summary>The records section the current slots point into.</summary>
    public ReadOnlySpan<byte> Section => _section.Span;

    /// <summary>Where the batch just decoded ends in the fetched records: the next batch's position.</summary>
    public int NextPosition { get; private set; }

    /// <summary>The last offset the batch just decoded covers (its records may stop earlier after compaction).</summary>
    public long LastOffset { get; private set; }

    public int LeaderEpoch { get; private set; }

    public TimestampType TimestampType { get; private set; }

    /// <summary>Why the last batch was <see cref="BatchOutcome.Corrupt"/>.</summary>
    public ErrorCode ErrorCode { get; private set; }

    public string ErrorReason { get; private set; } = "";

    /// <summary>
    /// Decodes the batch at <paramref name="position"/> of <paramref name="records"/>, keeping only records at or
    /// after <paramref name="minOffset"/> (a compressed batch may begin before the offset fetched).
    /// </summary>
    public BatchOutcome Decode(ReadOnlyMemory<byte> records, int position, long minOffset, AbortedTransactions? aborted)
    {
        _count = 0;
        _next = 0;
        _section = default;
        var span = records.Span;
        if (position >= span.Length) return BatchOutcome.End;
        var rest = span[position..];
        var framing = RecordBatchFraming.TryFrame(rest, int.MaxValue, out int size, out byte magic);
        if (!framing.IsValid)
        {
            // The broker may cut the last batch of a response short; what came whole is all there is.
            if (framing.Error is RecordBatchError.TruncatedBatch or RecordBatchError.TruncatedHeader) return BatchOutcome.End;
            return Fail(ErrorCode.Local_BadMsg, $"unreadable batch framing at offset {BaseOffsetAt(rest)}: {framing.Message}");
        }
        if (magic != RecordBatchHeader.CurrentMagic)
            return Fail(ErrorCode.Local_BadMsg, $"a message set of magic {magic} at offset {BaseOffsetAt(rest)}; this consumer reads record batches (magic 2) only");
        var bytes = rest[..size];
        var batch = new RecordBatch(bytes);
        NextPosition = position + size;
        LastOffset = batch.LastOffset;
        LeaderEpoch = batch.PartitionLeaderEpoch;
        TimestampType = batch.TimestampType == WireTimestampType.LogAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime;
        if (_checkCrcs && RecordBatchHeader.ComputeCrc(bytes) != batch.Crc)
            return Fail(ErrorCode.Local_BadMsg, $"batch at offset {batch.BaseOffset} fails its CRC32C check (stored {batch.Crc:x8}, computed {RecordBatchHeader.ComputeCrc(bytes):x8})");
        if (batch.LastOffset < minOffset || batch.RecordsCount == 0) return BatchOutcome.Skipped;
        if (batch.IsControl || aborted is not null)
        {
            // Control batches hold transaction markers, never application records; aborted ones are skipped whole.
            if (aborted is not null && aborted.Skips(batch, FirstKey(bytes, batch))) return BatchOutcome.Skipped;
            if (batch.IsControl) return BatchOutcome.Skipped;
        }

        var opened = RecordBatchReader.TryOpen(bytes, _decompressed, out var reader, _maxDecompressedBytes);
        if (!opened.IsValid)
        {
            var code = opened.Error is RecordBatchError.DecompressionFailed or RecordBatchError.UnsupportedCompression
                ? ErrorCode.Local_BadCompression : ErrorCode.Local_BadMsg;
            return Fail(code, $"batch at offset {batch.BaseOffset} cannot be read: {opened.Message}");
        }
        using (reader)
        {
            var section = reader.RecordsSection;
            _section = batch.Compression == WireCompression.None
                ? records.Slice(position + RecordBatchHeader.Size, section.Length)
                : _decompressed.WrittenMemory;
            if (_slots.Length < reader.Count) _slots = new RecordSlot[Math.Max(reader.Count, _slots.Length * 2)];
            ref byte origin = ref MemoryMarshal.GetReference(section);
            while (reader.TryReadNext(out var record))
            {
                long offset = record.Offset;
                if (offset < minOffset) continue;
                ref var slot = ref _slots[_count++];
                slot.Offset = offset;
                slot.Timestamp = record.Timestamp;
                slot.KeyLength = record.Key.IsNull ? -1 : record.Key.Length;
                slot.KeyStart = record.Key.IsNull ? 0 : Start(ref origin, record.Key.Span);
                slot.ValueLength = record.Value.IsNull ? -1 : record.Value.Length;
                slot.ValueStart = record.Value.IsNull ? 0 : Start(ref origin, record.Value.Span);
                var headers = record.Headers;
                slot.HeaderCount = headers.Count;
                slot.HeadersLength = headers.Encoded.Length;
                slot.HeadersStart = headers.Count == 0 ? 0 : Start(ref origin, headers.Encoded);
            }
            if (!reader.Error.IsValid)
            {
                _count = 0;
                return Fail(ErrorCode.Local_BadMsg, $"batch at offset {batch.BaseOffset} has a malformed record: {reader.Error.Message}");
            }
        }
        return _count == 0 ? BatchOutcome.Skipped : BatchOutcome.Records;
    }

    /// <summary>The next record of the current batch; false when all are taken.</summary>
    public bool TryTake(out RecordSlot slot)
    {
        if (_next >= _count)
        {
            slot = default;
            return false;
        }
        slot = _slots[_next++];
        return true;
    }

    /// <summary>Drops the rest of the current batch (it is decoded again if the partition comes back to it).</summary>
    public void Clear()
    {
        _count = 0;
        _next = 0;
        _section = default;
    }

    private BatchOutcome Fail(ErrorCode code, string reason)
    {
        ErrorCode = code;
        ErrorReason = reason;
        return BatchOutcome.Corrupt;
    }

    private static int Start(ref byte origin, ReadOnlySpan<byte> part) =>
        (int)Unsafe.ByteOffset(ref origin, ref MemoryMarshal.GetReference(part));

    private static long BaseOffsetAt(ReadOnlySpan<byte> rest) => rest.Length >= 8 ? RecordBatchHeader.BaseOffset(rest) : -1;

    /// <summary>A control batch's marker type is in its record's key; control batches are never compressed in practice but may be.</summary>
    private ReadOnlySpan<byte> FirstKey(ReadOnlySpan<byte> bytes, in RecordBatch batch)
    {
        if (!batch.IsControl) return default;
        if (!RecordBatchReader.TryOpen(bytes, _decompressed, out var reader, _maxDecompressedBytes).IsValid) return default;
        using (reader)
            return reader.TryReadNext(out var record) && !record.Key.IsNull ? record.Key.Span : default;
    }

    public void Dispose() => _decompressed.Dispose();
}
