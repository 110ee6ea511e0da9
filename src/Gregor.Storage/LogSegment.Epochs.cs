namespace Gregor.Storage;

public sealed partial class LogSegment
{
    /// <summary>
    /// Gives <paramref name="cache"/> the leader epoch of every batch, in order (rebuilding a lost leader-epoch
    /// checkpoint from the data, as recovery does). Reads batch headers only. Returns whether the cache changed.
    /// </summary>
    internal bool CollectLeaderEpochs(LeaderEpochCache cache)
    {
        using HandleLease lease = Lease();
        bool changed = false;
        var scanner = new SegmentScanner(Handle, 0, Size);
        try
        {
            while (scanner.NextHeader(out BatchInfo batch))
            {
                if (batch.PartitionLeaderEpoch >= 0 && batch.PartitionLeaderEpoch != cache.LatestEpoch)
                    changed |= cache.Assign(batch.PartitionLeaderEpoch, batch.BaseOffset);
            }
        }
        finally
        {
            scanner.Dispose();
        }
        return changed;
    }
}
