using System.Buffers;
using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>
/// Finding batches by offset and reading them. The offset index bounds where the batch holding an offset can be,
/// so a read takes that stretch and the bytes wanted after it in one positional read and finds the batch in
/// memory; only an index that does not fit the file, or a stretch too long to read whole, falls back to walking
/// batch headers.
/// </summary>
public sealed partial class LogSegment
{
    /// <summary>
    /// Bytes of batches ending below the target that a read may take in with its single read rather than
    /// walking their headers first. The index puts an entry every index.interval.bytes (4 KiB by default), so the
    /// stretch is normally that plus a batch or two.
    /// </summary>
    private const int MaxSkippedBytes = 64 * 1024;

    private enum Search
    {
        Found,
        /// <summary>Every batch of the segment ends below the offset.</summary>
        NotHere,
        /// <summary>The bytes do not tell: the index entry does not match its batch, or a header is cut or implausible.</summary>
        Unknown,
    }

    /// <summary>
    /// Where the offset index puts the batch holding an offset: at or after <see cref="Start"/> (a batch boundary;
    /// when <see cref="IsEntry"/>, the batch there must end at <see cref="EntryOffset"/>) and at or before
    /// <see cref="LatestStart"/> (the next entry's batch, which ends past the offset, or the segment's end).
    /// </summary>
    private readonly record struct IndexBound(int Start, bool IsEntry, long EntryOffset, int LatestStart)
    {
        public int Skip => LatestStart - Start;

        /// <summary>Whether the bound fits the file and is short enough to read whole.</summary>
        public bool IsUsable(int size) =>
            Start >= 0 && Start <= LatestStart && LatestStart <= size && (!IsEntry || Start < size) && Skip <= MaxSkippedBytes;
    }

    private IndexBound BoundFromIndex(long offset, int size)
    {
        OffsetPosition floor = OffsetIndex.LookupWithNext(offset, out bool isEntry, out int next);
        return new IndexBound(floor.Position, isEntry, floor.Offset, next >= 0 ? next : size);
    }

    /// <summary>
    /// Finds the first batch whose last offset is at least <paramref name="offset"/>, starting from the offset
    /// index's lower bound. False if every batch here ends below the offset.
    /// </summary>
    public bool TryTranslateOffset(long offset, out BatchInfo batch)
    {
        using HandleLease lease = Lease();
        int size = Size;
        IndexBound bound = BoundFromIndex(offset, size);
        if (bound.IsUsable(size))
        {
            int length = Math.Min(size - bound.Start, bound.Skip + RecordBatchHeader.Size);
            if (length == 0)
            {
                batch = default;
                return false;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                int got = SegmentScanner.ReadFully(Handle, buffer.AsSpan(0, length), bound.Start);
                Search search = FindBatch(buffer.AsSpan(0, got), bound, offset, bound.Start + got >= size, out int at);
                if (search != Search.Unknown)
                {
                    batch = search == Search.Found ? BatchInfo.Parse(buffer.AsSpan(at), bound.Start + at) : default;
                    return search == Search.Found;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        return TryTranslateOffsetByScanning(offset, size, out batch);
    }

    /// <summary>
    /// Reads whole batches from the one containing <paramref name="startOffset"/>: at most <paramref name="maxBytes"/>
    /// (but the first batch whole when <paramref name="minOneBatch"/>), none whose last offset reaches
    /// <paramref name="maxOffset"/>. Returns false if no batch here ends at or after the start offset.
    /// </summary>
    /// <remarks>
    /// One read takes the index's stretch plus <paramref name="maxBytes"/>, enough even if the batch sits at the
    /// latest place the index allows; the result is a slice of that buffer. A second read happens only for a first
    /// batch larger than <paramref name="maxBytes"/>.
    /// </remarks>
    internal bool TryRead(long startOffset, int maxBytes, long maxOffset, bool minOneBatch, out SegmentRead read)
    {
        using HandleLease lease = Lease();
        read = default;
        int size = Size;
        IndexBound bound = BoundFromIndex(startOffset, size);
        if (!bound.IsUsable(size))
            return TryReadByScanning(startOffset, maxBytes, maxOffset, minOneBatch, size, out read);
        int length = (int)Math.Min(size - bound.Start, (long)bound.Skip + Math.Max(maxBytes, RecordBatchHeader.Size));
        if (length == 0)
            return false;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        bool handedOver = false;
        Search search;
        try
        {
            int got = SegmentScanner.ReadFully(Handle, buffer.AsSpan(0, length), bound.Start);
            search = FindBatch(buffer.AsSpan(0, got), bound, startOffset, bound.Start + got >= size, out int at);
            if (search == Search.NotHere)
                return false;
            if (search == Search.Found)
            {
                BatchInfo first = BatchInfo.Parse(buffer.AsSpan(at), bound.Start + at);
                if (!FitsRead(first, maxBytes, maxOffset, minOneBatch, out int limit, out read))
                    return true;
                int end = (int)Math.Min(size - bound.Start, (long)at + limit);
                if (end > got)
                {
                    // A first batch larger than the bytes asked for: one more read for the rest of it.
                    byte[] larger = ArrayPool<byte>.Shared.Rent(end - at);
                    buffer.AsSpan(at, got - at).CopyTo(larger);
                    int more = SegmentScanner.ReadFully(Handle, larger.AsSpan(got - at, end - got), bound.Start + got);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    got = got - at + more;
                    end -= at;
                    at = 0;
                }
                int cut = CutWholeBatches(buffer.AsSpan(at, Math.Min(end, got) - at), maxOffset, out int batches, out long next);
                if (batches == 0)
                {
                    read = SegmentRead.Empty(first.BaseOffset, firstBatchTooLarge: false);
                    return true;
                }
                read = new SegmentRead(buffer, at, cut, first.BaseOffset, next, batches, firstBatchTooLarge: false);
                handedOver = true;
                return true;
            }
        }
        finally
        {
            if (!handedOver)
                ArrayPool<byte>.Shared.Return(buffer);
        }
        return TryReadByScanning(startOffset, maxBytes, maxOffset, minOneBatch, size, out read);
    }

    /// <summary>
    /// Looks through the batch headers in <paramref name="bytes"/> (read from the bound's start) for the first batch
    /// ending at or after <paramref name="offset"/>; <paramref name="at"/> is where its header starts.
    /// </summary>
    private static Search FindBatch(ReadOnlySpan<byte> bytes, in IndexBound bound, long offset, bool bytesReachSegmentEnd, out int at)
    {
        at = 0;
        int cursor = 0;
        while (cursor <= bytes.Length - RecordBatchHeader.Size)
        {
            ReadOnlySpan<byte> header = bytes[cursor..];
            if (!RecordBatchFraming.TryReadSize(header, int.MaxValue, out int batchSize, out _).IsValid)
                return Search.Unknown;
            long last = RecordBatchHeader.LastOffset(header);
            // An entry (o, p) must point at a batch ending at o; anything else means the index does not fit the file.
            if (cursor == 0 && bound.IsEntry && last != bound.EntryOffset)
                return Search.Unknown;
            if (last >= offset)
            {
                at = cursor;
                return Search.Found;
            }
            cursor += batchSize;
        }
        return bytesReachSegmentEnd && cursor == bytes.Length ? Search.NotHere : Search.Unknown;
    }

    /// <summary>
    /// Decides what a read starting with <paramref name="first"/> may return: false with an empty
    /// <paramref name="read"/> when the batch reaches <paramref name="maxOffset"/> or is over the limit, else true
    /// with the byte <paramref name="limit"/> of the read.
    /// </summary>
    private static bool FitsRead(in BatchInfo first, int maxBytes, long maxOffset, bool minOneBatch, out int limit, out SegmentRead read)
    {
        read = default;
        limit = minOneBatch ? Math.Max(maxBytes, first.Size) : maxBytes;
        if (first.LastOffset >= maxOffset)
        {
            read = SegmentRead.Empty(first.BaseOffset, firstBatchTooLarge: false);
            return false;
        }
        if (first.Size > limit)
        {
            read = SegmentRead.Empty(first.BaseOffset, firstBatchTooLarge: true);
            return false;
        }
        return true;
    }

    /// <summary>The length of the whole batches at the start of <paramref name="bytes"/> that end below <paramref name="maxOffset"/>.</summary>
    private static int CutWholeBatches(ReadOnlySpan<byte> bytes, long maxOffset, out int batches, out long next)
    {
        int cut = 0;
        batches = 0;
        next = -1;
        while (cut <= bytes.Length - RecordBatchHeader.Size)
        {
            ReadOnlySpan<byte> rest = bytes[cut..];
            if (!RecordBatchFraming.TryReadSize(rest, int.MaxValue, out int batchSize, out _).IsValid || batchSize > rest.Length)
                break;
            long last = RecordBatchHeader.LastOffset(rest);
            if (last >= maxOffset)
                break;
            cut += batchSize;
            batches++;
            next = last + 1;
        }
        return cut;
    }

    /// <summary>The fallback: walks batch headers from the index entry (or the segment start if the entry is bad).</summary>
    private bool TryTranslateOffsetByScanning(long offset, int size, out BatchInfo batch)
    {
        OffsetPosition floor = OffsetIndex.Lookup(offset);
        int start = floor.Position;
        if (start > 0 && !IndexEntryMatches(floor, size))
            start = 0;
        var scanner = new SegmentScanner(Handle, start, size, 16 * 1024);
        try
        {
            while (scanner.NextHeader(out batch))
            {
                if (batch.LastOffset >= offset)
                    return true;
            }
            batch = default;
            return false;
        }
        finally
        {
            scanner.Dispose();
        }
    }

    /// <summary>The fallback read: find the first batch by walking headers, then read from it.</summary>
    private bool TryReadByScanning(long startOffset, int maxBytes, long maxOffset, bool minOneBatch, int size, out SegmentRead read)
    {
        if (!TryTranslateOffsetByScanning(startOffset, size, out BatchInfo first))
        {
            read = default;
            return false;
        }
        if (!FitsRead(first, maxBytes, maxOffset, minOneBatch, out int limit, out read))
            return true;
        int window = Math.Min(size - first.Position, limit);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(window);
        try
        {
            int got = SegmentScanner.ReadFully(Handle, buffer.AsSpan(0, window), first.Position);
            int cut = CutWholeBatches(buffer.AsSpan(0, got), maxOffset, out int batches, out long next);
            if (batches == 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                read = SegmentRead.Empty(first.BaseOffset, firstBatchTooLarge: false);
                return true;
            }
            read = new SegmentRead(buffer, 0, cut, first.BaseOffset, next, batches, firstBatchTooLarge: false);
            return true;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>An index entry (o, p) must point at a batch whose last offset is o; anything else means a bad index.</summary>
    private bool IndexEntryMatches(OffsetPosition entry, int size)
    {
        if (entry.Position >= size)
            return false;
        var scanner = new SegmentScanner(Handle, entry.Position, size, RecordBatchHeader.Size);
        try
        {
            return scanner.NextHeader(out BatchInfo info) && info.LastOffset == entry.Offset;
        }
        finally
        {
            scanner.Dispose();
        }
    }
}
