namespace Gregor.Storage;

public sealed partial class PartitionLog
{
    private const int MaxReadAttempts = 16;

    /// <summary>Ask ListOffsets-style lookups for the log end offset.</summary>
    public const long LatestTimestamp = -1;

    /// <summary>Ask for the log start offset.</summary>
    public const long EarliestTimestamp = -2;

    /// <summary>Ask for the record with the largest timestamp (KIP-734).</summary>
    public const long MaxTimestamp = -3;

    /// <summary>Ask for the earliest offset held locally (the log start offset, as there is no tiered storage).</summary>
    public const long EarliestLocalTimestamp = -4;

    /// <summary>
    /// Reads whole batches starting with the one that contains <paramref name="startOffset"/>, up to
    /// <paramref name="maxBytes"/> (the first batch whole even if larger, when <paramref name="minOneBatch"/>),
    /// leaving out any batch whose last offset reaches <paramref name="maxOffset"/> (the high watermark for
    /// consumers, unbounded for followers). Reads come from one segment, like Kafka's. An offset equal to the log
    /// end offset gives an empty result; one outside [log start, log end] throws <see cref="OffsetOutOfRangeException"/>.
    /// The bytes are in a pooled buffer the result owns: dispose the result once, after the bytes are sent
    /// (<see cref="LogReadResult"/> says more).
    /// </summary>
    public LogReadResult Read(long startOffset, int maxBytes, long maxOffset = long.MaxValue, bool minOneBatch = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return ReadConsistent<CopyingRead, LogReadResult>(startOffset, maxBytes, maxOffset, minOneBatch);
    }

    /// <summary>
    /// The same batches as <see cref="Read"/> would return, located in their segment file instead of copied: the
    /// region holds a read lease on the segment and its bytes are copied out later, a chunk at a time (a fetch
    /// response streamed to a socket). Dispose the region once, after its bytes are sent.
    /// </summary>
    public LogRegion ReadRegion(long startOffset, int maxBytes, long maxOffset = long.MaxValue, bool minOneBatch = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return ReadConsistent<LocatingRead, LogRegion>(startOffset, maxBytes, maxOffset, minOneBatch);
    }

    /// <summary>How a read takes its batches from the segment that has them (copied, or located and leased).</summary>
    private interface IReadKind<TResult>
    {
        static abstract TResult Empty(in LogOffsets offsets);

        /// <summary>False if no batch of the segment ends at or after the start offset (the next segment has it).</summary>
        static abstract bool TryRead(LogSegment segment, in ReadLimits limits, bool segmentBelowBound, in LogOffsets offsets, out TResult result);

        /// <summary>Gives back what a read that lost a race with truncation holds.</summary>
        static abstract void Abandon(in TResult result);
    }

    private readonly record struct ReadLimits(long StartOffset, int MaxBytes, long Bound, bool MinOneBatch);

    private readonly record struct LogOffsets(long HighWatermark, long LogStart, long LogEnd);

    private readonly struct CopyingRead : IReadKind<LogReadResult>
    {
        public static LogReadResult Empty(in LogOffsets offsets) => new(default, offsets.HighWatermark, offsets.LogStart, offsets.LogEnd);

        public static bool TryRead(LogSegment segment, in ReadLimits limits, bool segmentBelowBound, in LogOffsets offsets, out LogReadResult result)
        {
            bool found = segment.TryRead(limits.StartOffset, limits.MaxBytes, limits.Bound, limits.MinOneBatch, out SegmentRead read);
            result = new LogReadResult(read, offsets.HighWatermark, offsets.LogStart, offsets.LogEnd);
            return found;
        }

        public static void Abandon(in LogReadResult result) => result.Dispose();
    }

    private readonly struct LocatingRead : IReadKind<LogRegion>
    {
        public static LogRegion Empty(in LogOffsets offsets) => new(null, default, offsets.HighWatermark, offsets.LogStart, offsets.LogEnd);

        public static bool TryRead(LogSegment segment, in ReadLimits limits, bool segmentBelowBound, in LogOffsets offsets, out LogRegion result)
        {
            bool found = segment.TryLocate(limits.StartOffset, limits.MaxBytes, limits.Bound, limits.MinOneBatch, segmentBelowBound, out SegmentRegion region);
            // A segment closed since the snapshot was taken has been replaced: the read is retried on a new snapshot.
            if (region.Length > 0 && !segment.TryAcquireLease())
                throw new ObjectDisposedException(segment.ToString());
            // Leases pin descriptors; when pinned ones already fill the open-file budget (a fetch of thousands of
            // partitions, long polls holding their regions), this region holds a copy of its bytes instead of a
            // descriptor, so no number of regions can run the process out of descriptors.
            result = region.Length > 0 && segment.OpenFilesOverBudget
                ? LogRegion.Copied(segment, region, offsets.HighWatermark, offsets.LogStart, offsets.LogEnd)
                : new LogRegion(segment, region, offsets.HighWatermark, offsets.LogStart, offsets.LogEnd);
            return found;
        }

        public static void Abandon(in LogRegion result) => result.Dispose();
    }

    /// <summary>
    /// One read against a consistent view: the offsets and the segment list are taken between truncations (a read that
    /// overlaps one is thrown away and retried), and a segment removed under the read sends it to the next snapshot.
    /// </summary>
    private TResult ReadConsistent<TKind, TResult>(long startOffset, int maxBytes, long maxOffset, bool minOneBatch)
        where TKind : struct, IReadKind<TResult>
    {
        for (int attempt = 0; ; attempt++)
        {
            long sequence = Volatile.Read(ref _truncationSequence);
            if ((sequence & 1) != 0)
            {
                Thread.Yield();
                continue;
            }
            var offsets = new LogOffsets(HighWatermark, LogStartOffset, LogEndOffset);
            if (startOffset < offsets.LogStart || startOffset > offsets.LogEnd)
            {
                throw new OffsetOutOfRangeException(
                    $"Offset {startOffset} is outside [{offsets.LogStart}, {offsets.LogEnd}] of {Directory}.");
            }
            var limits = new ReadLimits(startOffset, maxBytes, Math.Min(maxOffset, offsets.LogEnd), minOneBatch);
            if (startOffset >= limits.Bound)
                return TKind.Empty(offsets);
            try
            {
                LogSegment[] segments = Volatile.Read(ref _segments);
                if (startOffset < segments[0].BaseOffset)
                {
                    // Retention removed the offset's segment after the range check above.
                    throw new OffsetOutOfRangeException(
                        $"Offset {startOffset} is below the log start offset {Math.Max(LogStartOffset, segments[0].BaseOffset)} of {Directory}.");
                }
                TResult result = ReadFromSegments<TKind, TResult>(segments, limits, offsets);
                if (Volatile.Read(ref _truncationSequence) != sequence)
                {
                    TKind.Abandon(result);
                    continue;
                }
                return result;
            }
            catch (ObjectDisposedException) when (attempt < MaxReadAttempts)
            {
                // The segment was deleted or replaced under the read; the next snapshot no longer has it.
                if (_closed)
                    throw new LogClosedException($"Log {Directory} is closed.");
            }
        }
    }

    private static TResult ReadFromSegments<TKind, TResult>(LogSegment[] segments, in ReadLimits limits, in LogOffsets offsets)
        where TKind : struct, IReadKind<TResult>
    {
        // Segments may hold no batch at or after the offset (compaction leaves gaps); the next one then has it.
        for (int index = Math.Max(0, FloorIndex(segments, limits.StartOffset)); index < segments.Length; index++)
        {
            if (segments[index].BaseOffset >= limits.Bound)
                break;
            bool segmentBelowBound = index + 1 < segments.Length && segments[index + 1].BaseOffset <= limits.Bound;
            if (TKind.TryRead(segments[index], limits, segmentBelowBound, offsets, out TResult result))
                return result;
        }
        return TKind.Empty(offsets);
    }

    /// <summary>
    /// The first record whose timestamp is at least <paramref name="timestamp"/> (from the log start offset on),
    /// or null when every record is older. Segments are skipped by their max timestamp, and inside one the time
    /// index and offset index narrow the scan to a few batches.
    /// </summary>
    public TimestampAndOffset? FindOffsetByTimestamp(long timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        return WithSnapshot((Log: this, Timestamp: timestamp), static (segments, state) =>
        {
            long logStart = state.Log.LogStartOffset;
            foreach (LogSegment segment in segments)
            {
                if (segment.MaxTimestampSoFar < state.Timestamp)
                    continue;
                TimestampAndOffset? found = segment.FindOffsetByTimestamp(state.Timestamp, logStart);
                if (found is not null)
                    return found;
            }
            return null;
        });
    }

    /// <summary>The record carrying the largest timestamp in the log (the first one if several do), or null when empty.</summary>
    public TimestampAndOffset? FindOffsetOfMaxTimestamp()
    {
        return WithSnapshot(this, static (segments, log) =>
        {
            LogSegment? best = null;
            foreach (LogSegment segment in segments)
            {
                if (segment.Size > 0 && (best is null || segment.MaxTimestampSoFar > best.MaxTimestampSoFar))
                    best = segment;
            }
            return best?.FindOffsetByTimestamp(best.MaxTimestampSoFar, log.LogStartOffset);
        });
    }

    /// <summary>
    /// ListOffsets for one partition: <see cref="LatestTimestamp"/>, <see cref="EarliestTimestamp"/>,
    /// <see cref="MaxTimestamp"/>, <see cref="EarliestLocalTimestamp"/>, or a timestamp to search for.
    /// Null when no record qualifies. The leader epochs of earliest and latest come from the epoch cache, as Kafka's
    /// do: the epoch covering the log start offset, and the latest epoch.
    /// </summary>
    public TimestampAndOffset? ListOffset(long timestamp) => timestamp switch
    {
        LatestTimestamp => new TimestampAndOffset(TimestampOffset.NoTimestamp, LogEndOffset, LatestEpoch),
        EarliestTimestamp or EarliestLocalTimestamp => EarliestWithEpoch(),
        MaxTimestamp => FindOffsetOfMaxTimestamp(),
        >= 0 => FindOffsetByTimestamp(timestamp),
        _ => throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "Not a timestamp or a ListOffsets special value."),
    };

    /// <summary>Leader epoch of the batch holding <paramref name="offset"/> (or the next one), or -1.</summary>
    public int EpochOfBatchAt(long offset) => WithSnapshot(offset, static (segments, offset) =>
    {
        for (int index = Math.Max(0, FloorIndex(segments, offset)); index < segments.Length; index++)
        {
            if (segments[index].TryTranslateOffset(offset, out BatchInfo batch))
                return batch.PartitionLeaderEpoch;
        }
        return -1;
    });

    private TimestampAndOffset EarliestWithEpoch()
    {
        long start = LogStartOffset;
        return new TimestampAndOffset(TimestampOffset.NoTimestamp, start, EpochForOffset(start));
    }

    /// <summary>
    /// Runs a lookup over the current segments, retrying if a segment is deleted under it. The lookup is a static
    /// lambda and gets what it needs through <paramref name="state"/>, so no closure is allocated per call.
    /// </summary>
    private T WithSnapshot<TState, T>(TState state, Func<LogSegment[], TState, T> lookup)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return lookup(Volatile.Read(ref _segments), state);
            }
            catch (ObjectDisposedException) when (attempt < MaxReadAttempts && !_closed)
            {
            }
        }
    }
}
