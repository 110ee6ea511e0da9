namespace Gregor.Storage;

/// <summary>
/// What one cleaning pass may touch, snapshotted under the log's lock: the inactive segments from the log's
/// start up to the first uncleanable offset (bounded by the active segment, the high watermark and
/// min.compaction.lag.ms), of which those from <see cref="FirstDirtyIndex"/> on have not been cleaned yet.
/// </summary>
public sealed record CleaningPlan(
    LogConfig Config,
    LogSegment[] Segments,
    int FirstDirtyIndex,
    long FirstDirtyOffset,
    long FirstUncleanableOffset,
    double DirtyRatio,
    bool MaxCompactionLagExceeded,
    long TruncationSequence)
{
    public long CleanableBytes => Segments.Skip(FirstDirtyIndex).Sum(s => (long)s.Size);
}
