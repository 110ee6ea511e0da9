namespace Gregor.Storage;

public sealed partial class LogSegment
{
    /// <summary>
    /// Folds the headers of this segment's batches in [<paramref name="fromOffset"/>, <paramref name="toOffset"/>)
    /// into <paramref name="state"/>, starting at the offset index's entry for the first offset. Batches are read in
    /// large chunks and only their headers looked at.
    /// </summary>
    internal void ReplayProducerState(long fromOffset, long toOffset, ProducerStateManager state)
    {
        if (Size == 0 || !TryTranslateOffset(fromOffset, out BatchInfo first))
            return;
        using HandleLease lease = Lease();
        var scanner = new SegmentScanner(Handle, first.Position, Size);
        try
        {
            while (scanner.NextHeader(out BatchInfo batch))
            {
                if (batch.BaseOffset >= toOffset)
                    break;
                if (batch.BaseOffset >= fromOffset && batch.LastOffset < toOffset)
                    state.Record(scanner.HeaderOf(batch));
            }
        }
        finally
        {
            scanner.Dispose();
        }
    }
}
