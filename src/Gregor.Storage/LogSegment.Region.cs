using System.Diagnostics;

namespace Gregor.Storage;

/// <summary>
/// Locating whole batches without reading them: the same choice of batches as <see cref="TryRead"/>, answered as a
/// position and length in the .log file. Only batch headers are read — the first batch's, the one at the high
/// watermark's, and those between the last offset index entry below the byte limit and the limit — so the cost does
/// not grow with the bytes a fetch returns.
/// </summary>
public sealed partial class LogSegment
{
    /// <summary>Bytes read per step of a header walk: a few index intervals of small batches at once.</summary>
    private const int HeaderWalkChunk = 16 * 1024;

    /// <summary>
    /// Finds the batches a read from <paramref name="startOffset"/> returns: the first batch whole (even past
    /// <paramref name="maxBytes"/> when <paramref name="minOneBatch"/>), then whole batches within the limit, none whose
    /// last offset reaches <paramref name="maxOffset"/>. <paramref name="segmentBelowMaxOffset"/> says the caller knows
    /// every batch here ends below <paramref name="maxOffset"/> (a later segment starts at or below it), which saves a
    /// lookup. False if no batch here ends at or after the start offset.
    /// </summary>
    internal bool TryLocate(long startOffset, int maxBytes, long maxOffset, bool minOneBatch, bool segmentBelowMaxOffset, out SegmentRegion region)
    {
        using HandleLease lease = Lease();
        region = default;
        if (!TryTranslateOffset(startOffset, out BatchInfo first))
            return false;
        if (!FitsRead(first, maxBytes, maxOffset, minOneBatch, out int limit, out SegmentRead refused))
        {
            region = SegmentRegion.Empty(refused.FirstOffset, refused.FirstBatchTooLarge);
            return true;
        }
        int size = Size;
        int byteEnd = (int)Math.Min((long)first.Position + limit, size);
        // The segment's end and the position of the batch reaching maxOffset are batch boundaries; a byte limit below
        // them is not, and the last boundary under it is found from the index.
        int boundary = size;
        if (!segmentBelowMaxOffset && TryTranslateOffset(maxOffset, out BatchInfo atMax))
            boundary = atMax.Position;
        Debug.Assert(boundary >= first.Position + first.Size, "the first batch ends below maxOffset, so the batch reaching it comes later");
        int end = boundary <= byteEnd ? boundary : LastBoundaryAtMost(first, byteEnd, size);
        region = new SegmentRegion(first.Position, end - first.Position, first.BaseOffset, FirstBatchTooLarge: false);
        return true;
    }

    /// <summary>
    /// The last batch boundary at or below <paramref name="limit"/>, at least the end of <paramref name="first"/>: the
    /// offset index gives a boundary at most one index interval below the limit, and batch headers are walked from there.
    /// An index entry that does not match its batch is ignored and the walk starts at the first batch.
    /// </summary>
    private int LastBoundaryAtMost(in BatchInfo first, int limit, int size)
    {
        OffsetPosition floor = OffsetIndex.FloorByPosition(limit, out bool isEntry);
        if (isEntry && floor.Position > first.Position)
        {
            int end = WalkHeaders(floor.Position, limit, size, floor.Offset, out bool entryMatched);
            if (entryMatched)
                return end;
        }
        return WalkHeaders(first.Position, limit, size, first.LastOffset, out _);
    }

    /// <summary>
    /// Steps over whole batches from <paramref name="start"/> (a boundary whose batch should end at
    /// <paramref name="expectedLastOffset"/>) while they end at or below <paramref name="limit"/>; returns the end of the
    /// last one. False in <paramref name="startMatched"/> when the batch at the start is not the one expected.
    /// </summary>
    private int WalkHeaders(int start, int limit, int size, long expectedLastOffset, out bool startMatched)
    {
        var scanner = new SegmentScanner(Handle, start, size, HeaderWalkChunk);
        try
        {
            startMatched = false;
            int end = start;
            while (scanner.NextHeader(out BatchInfo batch))
            {
                if (!startMatched && batch.LastOffset != expectedLastOffset)
                    return start;
                startMatched = true;
                if (batch.Position + batch.Size > limit)
                    break;
                end = batch.Position + batch.Size;
            }
            return end;
        }
        finally
        {
            scanner.Dispose();
        }
    }
}
