namespace Gregor.Storage;

public sealed partial class PartitionLog
{
    /// <summary>Test seam: called at each step of a cleaned-segment swap, so a test can stop the process there.</summary>
    internal Action<string>? SwapStepHook { get; set; }

    /// <summary>
    /// The range a cleaning pass may work on now, or null when the log is not compacted, has nothing dirty,
    /// or is below min.cleanable.dirty.ratio (unless <paramref name="force"/> or max.compaction.lag.ms passed).
    /// </summary>
    public CleaningPlan? PlanCleaning(bool force = false)
    {
        lock (_writeLock)
        {
            if (_closed)
                return null;
            LogConfig config = _config;
            if (!config.Compact)
                return null;
            long now = NowMs;
            LogSegment[] segments = _segments;
            long firstDirty = Math.Max(_cleanerOffset, _logStartOffset);
            int dirtyStart = Math.Max(0, FloorIndex(segments, firstDirty));
            // Clean only whole inactive segments wholly below the high watermark and older than the minimum lag.
            long bound = Math.Min(segments[^1].BaseOffset, _highWatermark);
            int dirtyEnd = dirtyStart;
            while (dirtyEnd < segments.Length - 1
                && segments[dirtyEnd + 1].BaseOffset <= bound
                && (config.MinCompactionLagMs == 0 || now - segments[dirtyEnd].LargestTimestamp >= config.MinCompactionLagMs))
            {
                dirtyEnd++;
            }
            if (dirtyEnd == dirtyStart)
            {
                // Nothing dirty. A forced pass still rewrites the cleaned part, which drops expired tombstones.
                if (!force || dirtyStart == 0)
                    return null;
                return new CleaningPlan(config, segments[..dirtyStart], dirtyStart, firstDirty, segments[dirtyStart].BaseOffset, 0,
                    false, Volatile.Read(ref _truncationSequence));
            }
            long cleanBytes = 0, dirtyBytes = 0;
            for (int index = 0; index < dirtyEnd; index++)
            {
                if (index < dirtyStart)
                    cleanBytes += segments[index].Size;
                else
                    dirtyBytes += segments[index].Size;
            }
            if (dirtyBytes == 0 && !force)
                return null;
            double ratio = cleanBytes + dirtyBytes == 0 ? 0 : (double)dirtyBytes / (cleanBytes + dirtyBytes);
            long firstBatchTimestamp = segments[dirtyStart].FirstBatchTimestamp();
            bool lagExceeded = config.MaxCompactionLagMs != long.MaxValue && firstBatchTimestamp >= 0
                && now - firstBatchTimestamp > config.MaxCompactionLagMs;
            if (!force && !lagExceeded && ratio < config.MinCleanableDirtyRatio)
                return null;
            return new CleaningPlan(config, segments[..dirtyEnd], dirtyStart, firstDirty, segments[dirtyEnd].BaseOffset, ratio,
                lagExceeded, Volatile.Read(ref _truncationSequence));
        }
    }

    /// <summary>
    /// Swaps a cleaned segment in for the consecutive segments it was built from, if they are all still in the
    /// log and nothing was truncated since the plan. The rename of the cleaned log file to <c>.swap</c> is the
    /// commit: after it, recovery finishes the swap; before it, recovery discards the cleaned files. Readers
    /// holding the old segments keep reading them until they are deleted after file.delete.delay.ms.
    /// </summary>
    internal bool TryReplaceWithCleaned(LogSegment[] group, LogSegment cleaned, long truncationSequence)
    {
        bool replaced = TryReplaceWithCleanedLocked(group, cleaned, truncationSequence);
        DeleteUnlinkedSegments();
        return replaced;
    }

    private bool TryReplaceWithCleanedLocked(LogSegment[] group, LogSegment cleaned, long truncationSequence)
    {
        lock (_writeLock)
        {
            if (_closed || Volatile.Read(ref _truncationSequence) != truncationSequence)
                return false;
            LogSegment[] current = _segments;
            int at = Array.IndexOf(current, group[0]);
            if (at < 0 || at + group.Length > current.Length - 1)
                return false;
            for (int index = 0; index < group.Length; index++)
            {
                if (!ReferenceEquals(current[at + index], group[index]))
                    return false;
            }
            long now = NowMs;
            MarkModified();
            cleaned.ChangeSuffix(LogFileNames.SwapSuffix);
            DirectorySync.Flush(Directory);
            SwapStepHook?.Invoke("swap-committed");
            foreach (LogSegment old in group)
                ScheduleDeletion(old, now);
            SwapStepHook?.Invoke("old-renamed");
            cleaned.ChangeSuffix("");
            PublishSegments([.. current[..at], cleaned, .. current[(at + group.Length)..]]);
            DirectorySync.Flush(Directory);
            SwapStepHook?.Invoke("swap-finished");
            return true;
        }
    }

    /// <summary>Moves the cleaner's position to the end of the range just cleaned.</summary>
    internal void CompleteCleaning(long endOffset, long truncationSequence)
    {
        lock (_writeLock)
        {
            if (_closed || Volatile.Read(ref _truncationSequence) != truncationSequence)
                return;
            long clamped = Math.Clamp(endOffset, _logStartOffset, _logEndOffset);
            if (clamped > _cleanerOffset)
                Volatile.Write(ref _cleanerOffset, clamped);
        }
        WriteCheckpoint();
    }
}
