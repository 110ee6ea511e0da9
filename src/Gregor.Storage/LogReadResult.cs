using System.Buffers;

namespace Gregor.Storage;

/// <summary>What a segment read produced: whole batches at <see cref="Start"/> of a pooled buffer.</summary>
internal readonly struct SegmentRead(byte[]? buffer, int start, int length, long firstOffset, long nextOffset, int batchCount, bool firstBatchTooLarge)
{
    public byte[]? Buffer { get; } = buffer;
    public int Start { get; } = start;
    public int Length { get; } = length;
    public long FirstOffset { get; } = firstOffset;
    public long NextOffset { get; } = nextOffset;
    public int BatchCount { get; } = batchCount;
    public bool FirstBatchTooLarge { get; } = firstBatchTooLarge;

    /// <summary>A read that returns no bytes, starting at <paramref name="offset"/>.</summary>
    public static SegmentRead Empty(long offset, bool firstBatchTooLarge) => new(null, 0, 0, offset, offset, 0, firstBatchTooLarge);

    public void Release()
    {
        if (Buffer is not null)
            ArrayPool<byte>.Shared.Return(Buffer);
    }
}

/// <summary>
/// Whole batches read from a partition log, ready to send as a fetch response's records, plus the log's
/// offsets at the time of the read.
/// </summary>
/// <remarks>
/// <para>Ownership: the bytes live in a buffer rented from <see cref="ArrayPool{T}.Shared"/>, and the result owns
/// it until <see cref="Dispose"/> gives it back. Dispose exactly once, when the bytes have been sent or copied
/// (<c>using LogReadResult read = log.Read(...)</c>, or keep the value until an asynchronous send completes).</para>
/// <para>It is a struct so that a read allocates nothing. Copies of the value share the one buffer: dispose only one
/// of them, and use none of them (nor a <see cref="Records"/> taken from them) after that, since the buffer may
/// already hold another reader's bytes. An empty result holds no buffer, and <c>default</c> is an empty result.</para>
/// </remarks>
public readonly struct LogReadResult : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly int _start;
    private readonly int _length;

    internal LogReadResult(in SegmentRead read, long highWatermark, long logStartOffset, long logEndOffset)
    {
        _buffer = read.Buffer;
        _start = read.Start;
        _length = read.Buffer is null ? 0 : read.Length;
        FirstOffset = read.BatchCount > 0 ? read.FirstOffset : -1;
        NextOffset = read.BatchCount > 0 ? read.NextOffset : -1;
        BatchCount = read.BatchCount;
        FirstBatchTooLarge = read.FirstBatchTooLarge;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>The batches, back to back, exactly as stored; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Records => _buffer is null ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(_buffer, _start, _length);

    public int Length => _length;

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

    /// <summary>Returns the buffer to the pool. Call it on one copy of the result, once.</summary>
    public void Dispose()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
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
