using System.Buffers;
using Gregor.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace Gregor.Storage;

/// <summary>
/// Walks the batches of a segment file from a position with large reads into one pooled buffer, so a scan
/// costs one read per chunk rather than one per batch. Header-only steps need the 61-byte header in the
/// buffer; whole-batch steps grow the buffer to the batch (bounded by the file's end).
/// </summary>
internal ref struct SegmentScanner
{
    private const int DefaultChunk = 64 * 1024;

    private readonly SafeFileHandle _file;
    private readonly long _end;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;

    public SegmentScanner(SafeFileHandle file, long start, long end, int chunkSize = DefaultChunk)
    {
        _file = file;
        _end = end;
        Position = start;
        _buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        _bufferStart = start;
        _bufferLength = 0;
    }

    /// <summary>File position of the next batch.</summary>
    public long Position { get; private set; }

    /// <summary>Why the last step returned false when bytes remained (torn or implausible framing), else null.</summary>
    public string? StopReason { get; private set; }

    /// <summary>
    /// Steps over the next batch, reading only its header. Returns false at the end or at a header that
    /// cannot be whole (beyond the end, or an impossible length).
    /// </summary>
    public bool NextHeader(out BatchInfo info)
    {
        info = default;
        StopReason = null;
        if (Position >= _end)
            return false;
        int headerBytes = (int)Math.Min(RecordBatchHeader.Size, _end - Position);
        ReadOnlySpan<byte> header = Ensure(headerBytes);
        if (header.Length < RecordBatchHeader.Size)
        {
            StopReason = $"{header.Length} bytes at position {Position}, too few for a batch header";
            return false;
        }
        RecordBatchValidationResult framing = RecordBatchFraming.TryReadSize(header, int.MaxValue, out int size, out byte magic);
        if (!framing.IsValid || magic != RecordBatchHeader.CurrentMagic)
        {
            StopReason = framing.IsValid
                ? $"batch at position {Position} has magic {magic}, not 2"
                : $"batch at position {Position}: {framing.Message}";
            return false;
        }
        if (Position + size > _end)
        {
            StopReason = $"batch at position {Position} of {size} bytes runs past the end {_end}";
            return false;
        }
        info = BatchInfo.Parse(header, checked((int)Position));
        Position += size;
        return true;
    }

    /// <summary>Steps over the next batch with all its bytes in <paramref name="batch"/> (valid until the next step).</summary>
    public bool NextBatch(out BatchInfo info, out ReadOnlySpan<byte> batch)
    {
        batch = default;
        if (!NextHeader(out info))
            return false;
        batch = Ensure(info.Size, info.Position);
        return true;
    }

    /// <summary>The whole bytes of a batch this scanner has just stepped over with <see cref="NextHeader"/>.</summary>
    public ReadOnlySpan<byte> BytesOf(in BatchInfo info) => Ensure(info.Size, info.Position);

    /// <summary>The 61-byte header of a batch this scanner has just stepped over (still in the buffer: no read).</summary>
    public ReadOnlySpan<byte> HeaderOf(in BatchInfo info) => Ensure(RecordBatchHeader.Size, info.Position);

    public void Dispose()
    {
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private ReadOnlySpan<byte> Ensure(int length) => Ensure(length, Position);

    /// <summary>Makes [position, position + length) resident in the buffer and returns it (shorter at the file's end).</summary>
    private ReadOnlySpan<byte> Ensure(int length, long position)
    {
        if (position >= _bufferStart && position + length <= _bufferStart + _bufferLength)
            return _buffer.AsSpan((int)(position - _bufferStart), length);
        if (_buffer.Length < length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(length);
        }
        int toRead = (int)Math.Min(_buffer.Length, _end - position);
        int read = ReadFully(_file, _buffer.AsSpan(0, toRead), position);
        _bufferStart = position;
        _bufferLength = read;
        return _buffer.AsSpan(0, Math.Min(length, read));
    }

    [ThreadStatic]
    private static long t_fileReads;

    /// <summary>Positional reads this thread has made of segment files (tests check how many one log read costs).</summary>
    internal static long FileReadsOnThisThread => t_fileReads;

    /// <summary>Reads until the span is full or the file ends; returns the bytes read.</summary>
    public static int ReadFully(SafeFileHandle file, Span<byte> destination, long position)
    {
        int total = 0;
        while (total < destination.Length)
        {
            t_fileReads++;
            int read = RandomAccess.Read(file, destination[total..], position + total);
            if (read <= 0)
                break;
            total += read;
        }
        return total;
    }
}
