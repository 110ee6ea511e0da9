namespace Gregor.Storage;

/// <summary>Where a segment read's whole batches lie in the segment's .log file.</summary>
internal readonly record struct SegmentRegion(int Position, int Length, long FirstOffset, bool FirstBatchTooLarge)
{
    /// <summary>A region of no bytes starting at <paramref name="offset"/>.</summary>
    public static SegmentRegion Empty(long offset, bool firstBatchTooLarge) => new(0, 0, offset, firstBatchTooLarge);
}

/// <summary>
/// Whole batches of a partition log located in a segment file rather than read into memory: a fetch response copies
/// them from the file to the socket a chunk at a time, however long the client takes to read them.
/// </summary>
/// <remarks>
/// A non-empty region holds a read lease on its segment, so the file stays open while the bytes are copied even if
/// retention, compaction or a close removes the segment meanwhile (the bytes read are then those of the removed file,
/// which is what the offsets said when the region was taken). When leased files already fill the process's open-file
/// budget, a region instead holds its bytes, read at once into a pooled buffer (<see cref="Copied"/>): memory bounded
/// by the fetch's byte limits rather than one more descriptor. Dispose exactly once; copies of the value share the
/// lease (or buffer).
/// A truncation of the file under the region (a follower cutting a diverged tail) makes <see cref="CopyTo"/> return
/// fewer bytes than asked: the caller cannot send the promised length and must drop the connection.
/// </remarks>
public readonly struct LogRegion : IDisposable
{
    private readonly LogSegment? _segment;
    private readonly byte[]? _bytes;
    private readonly int _position;

    internal LogRegion(LogSegment? segment, in SegmentRegion region, long highWatermark, long logStartOffset, long logEndOffset)
    {
        _segment = region.Length > 0 ? segment : null;
        _position = region.Position;
        Length = _segment is null ? 0 : region.Length;
        FirstOffset = Length > 0 ? region.FirstOffset : -1;
        FirstBatchTooLarge = region.FirstBatchTooLarge;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>A region of <paramref name="leased"/> (whose lease the caller holds) that reads its bytes now and gives the lease back.</summary>
    internal static LogRegion Copied(LogSegment leased, in SegmentRegion region, long highWatermark, long logStartOffset, long logEndOffset)
    {
        byte[] bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(region.Length);
        try
        {
            int read = SegmentScanner.ReadFully(leased.Handle, bytes.AsSpan(0, region.Length), region.Position);
            // Cut short under the read (a truncation): the bytes that are there, as a file region would give them.
            return new LogRegion(bytes, region with { Length = read }, highWatermark, logStartOffset, logEndOffset);
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
            throw;
        }
        finally
        {
            leased.ReleaseLease();
        }
    }

    private LogRegion(byte[] bytes, in SegmentRegion region, long highWatermark, long logStartOffset, long logEndOffset)
        : this((LogSegment?)null, region, highWatermark, logStartOffset, logEndOffset)
    {
        _bytes = bytes;
        Length = region.Length;
        FirstOffset = region.Length > 0 ? region.FirstOffset : -1;
    }

    /// <summary>Bytes of whole batches in the region.</summary>
    public int Length { get; }

    /// <summary>Base offset of the first batch, or -1 when empty.</summary>
    public long FirstOffset { get; }

    /// <summary>The first batch was larger than the byte limit and the read did not ask for at least one batch.</summary>
    public bool FirstBatchTooLarge { get; }

    public long HighWatermark { get; }

    public long LogStartOffset { get; }

    public long LogEndOffset { get; }

    /// <summary>
    /// Copies the region's bytes from <paramref name="offset"/> on into <paramref name="destination"/> (as many as
    /// fit), with positional reads that need no lock. Returns the bytes copied; fewer than both the space and the
    /// bytes left only when the file was cut short under the region.
    /// </summary>
    public int CopyTo(Span<byte> destination, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, Length);
        int wanted = Math.Min(destination.Length, Length - offset);
        if (wanted == 0)
            return 0;
        if (_bytes is not null)
        {
            _bytes.AsSpan(offset, wanted).CopyTo(destination);
            return wanted;
        }
        return SegmentScanner.ReadFully(_segment!.Handle, destination[..wanted], (long)_position + offset);
    }

    /// <summary>Releases the read lease (or the copied bytes). Call it on one copy of the region, once.</summary>
    public void Dispose()
    {
        if (_bytes is not null)
            System.Buffers.ArrayPool<byte>.Shared.Return(_bytes);
        else
            _segment?.ReleaseLease();
    }
}
