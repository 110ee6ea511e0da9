using System.Buffers;

namespace Gregor.Storage;

/// <summary>What a segment read produced: whole batches in a pooled buffer.</summary>
internal readonly struct SegmentRead(byte[]? buffer, int length, long firstOffset, long nextOffset, int batchCount, bool firstBatchTooLarge)
{
    public byte[]? Buffer { get; } = buffer;
    public int Length { get; } = length;
    public long FirstOffset { get; } = firstOffset;
    public long NextOffset { get; } = nextOffset;
    public int BatchCount { get; } = batchCount;
    public bool FirstBatchTooLarge { get; } = firstBatchTooLarge;

    public void Release()
    {
        if (Buffer is not null)
            ArrayPool<byte>.Shared.Return(Buffer);
    }
}

/// <summary>
/// Whole batches read from a partition log, ready to send as a fetch response's records, plus the log's
/// offsets at the time of the read. The bytes live in a pooled buffer: dispose the result once sent.
/// </summary>
public sealed class LogReadResult : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal LogReadResult(in SegmentRead read, long highWatermark, long logStartOffset, long logEndOffset)
    {
        _buffer = read.Buffer;
        _length = read.Length;
        FirstOffset = read.BatchCount > 0 ? read.FirstOffset : -1;
        NextOffset = read.BatchCount > 0 ? read.NextOffset : -1;
        BatchCount = read.BatchCount;
        FirstBatchTooLarge = read.FirstBatchTooLarge;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>The batches, back to back, exactly as stored.</summary>
    public ReadOnlyMemory<byte> Records => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    public int Length => _buffer is null ? 0 : _length;

    /// <summary>Base offset of the first batch returned, or -1 when empty.</summary>
    public long FirstOffset { get; }

    /// <summary>The offset after the last batch returned, or -1 when empty.</summary>
    public long NextOffset { get; }

    public int BatchCount { get; }

    /// <summary>The first batch was larger than the byte limit and the read did not ask for at least one batch.</summary>
    public bool FirstBatchTooLarge { get; }

    public long HighWatermark { get; }

    public long LogStartOffset { get; }

    public long LogEndOffset { get; }

    public void Dispose()
    {
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>A record's offset and timestamp, with the leader epoch of the batch holding it (ListOffsets' answer).</summary>
public readonly record struct TimestampAndOffset(long Timestamp, long Offset, int LeaderEpoch);

/// <summary>What an append did: the offsets it assigned and the log's state after it.</summary>
/// <param name="LogAppendTime">The broker time stamped into the batches for LogAppendTime topics, else -1.</param>
public readonly record struct LogAppendResult(
    long FirstOffset,
    long LastOffset,
    long LogAppendTime,
    long MaxTimestamp,
    long OffsetOfMaxTimestamp,
    long LogEndOffset,
    long LogStartOffset,
    int BatchCount,
    int RecordCount);
