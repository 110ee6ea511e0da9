using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>
/// Compaction for logs with <c>cleanup.policy</c> compact: keeps the latest record of every key, removes
/// superseded records and, after delete.retention.ms, tombstones. Records keep their offsets (batches keep
/// their base offset and offset range; gaps are fine). Kafka's scheme:
/// <list type="number">
/// <item>Map each key of the dirty segments (those after the cleaner's checkpoint) to its latest offset, in a
/// fixed-size <see cref="OffsetMap"/>; a full map ends the pass early.</item>
/// <item>Rewrite every inactive segment up to the mapped end, in groups that fit one segment, into
/// <c>.cleaned</c> files: a record stays if its offset is at least its key's mapped offset. Batches whose
/// records all stay are copied byte for byte.</item>
/// <item>Swap each group in atomically (see <see cref="PartitionLog.TryReplaceWithCleaned"/>).</item>
/// </list>
/// Tombstones follow KIP-534: the first pass that keeps one stamps its batch with a delete horizon (now +
/// delete.retention.ms, in the base timestamp, with the HasDeleteHorizon attribute); a pass after the horizon
/// drops it. Only inactive segments below the high watermark are cleaned, and the log's lock is taken only
/// for planning and for each swap, so appends and reads go on meanwhile.
/// </summary>
/// <remarks>
/// Kept whole and left out of the key map: control batches and transactional batches (telling committed from
/// aborted data needs the transaction index, which this log does not keep), and batches whose records cannot
/// be read here (a compression codec whose native library this machine lacks). Leaving them out only means
/// less is removed. Rewritten batches keep their compression codec. A batch whose records are all removed is dropped, except the
/// last batch of each group, which stays as an empty batch so the group's offset range is preserved.
/// </remarks>
public sealed class LogCleaner : IDisposable
{
    /// <summary>Kafka's log.cleaner.dedupe.buffer.size.</summary>
    public const int DefaultDedupeBufferBytes = 128 * 1024 * 1024;

    private const int OutputFlushBytes = 1024 * 1024;

    private readonly object _passLock = new();
    private readonly object _registryLock = new();
    private readonly List<PartitionLog> _logs = [];
    private readonly TimeProvider _time;
    private readonly TimeSpan _backoff;
    private readonly OffsetMap _map;
    private readonly RecordBatchBuilder _builder = new(16 * 1024);
    private readonly PooledByteBufferWriter _output = new(OutputFlushBytes * 2);
    private CancellationTokenSource? _stop;
    private Task? _loop;

    /// <param name="time">Clock for delete horizons and compaction lags.</param>
    /// <param name="dedupeBufferBytes">Memory for the key map (24 bytes per key, filled to 90%).</param>
    /// <param name="backoff">Pause of the background loop when no log needs cleaning (Kafka's log.cleaner.backoff.ms is 15 s).</param>
    public LogCleaner(TimeProvider? time = null, int dedupeBufferBytes = DefaultDedupeBufferBytes, TimeSpan? backoff = null)
    {
        _time = time ?? TimeProvider.System;
        _map = new OffsetMap(dedupeBufferBytes);
        _backoff = backoff ?? TimeSpan.FromSeconds(15);
    }

    /// <summary>Raised by the background loop when cleaning a log failed; the loop carries on with other logs.</summary>
    public event Action<PartitionLog, Exception>? CleaningFailed;

    /// <summary>Passes completed by the background loop.</summary>
    public long BackgroundPasses => Interlocked.Read(ref _backgroundPasses);

    private long _backgroundPasses;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public void Register(PartitionLog log)
    {
        lock (_registryLock)
        {
            if (!_logs.Contains(log))
                _logs.Add(log);
        }
    }

    public void Unregister(PartitionLog log)
    {
        lock (_registryLock)
            _logs.Remove(log);
    }

    /// <summary>Starts the background loop over the registered logs.</summary>
    public void Start()
    {
        if (_loop is not null)
            throw new InvalidOperationException("The cleaner is already running.");
        _stop = new CancellationTokenSource();
        CancellationToken token = _stop.Token;
        _loop = Task.Run(() => RunAsync(token), token);
    }

    public async Task StopAsync()
    {
        if (_stop is null || _loop is null)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
        _stop = null;
        _loop = null;
    }

    private async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            bool worked = false;
            PartitionLog? dirtiest = null;
            try
            {
                dirtiest = Dirtiest();
                if (dirtiest is not null)
                    worked = Clean(dirtiest) is not null;
            }
            catch (Exception error) when (error is IOException or StorageException or UnauthorizedAccessException or InvalidOperationException)
            {
                if (dirtiest is not null)
                    CleaningFailed?.Invoke(dirtiest, error);
            }
            if (worked)
                Interlocked.Increment(ref _backgroundPasses);
            else
                await Task.Delay(_backoff, _time, token).ConfigureAwait(false);
        }
    }

    /// <summary>The registered log most in need of cleaning: past max.compaction.lag.ms first, then by dirty ratio.</summary>
    private PartitionLog? Dirtiest()
    {
        PartitionLog[] logs;
        lock (_registryLock)
            logs = [.. _logs];
        PartitionLog? best = null;
        CleaningPlan? bestPlan = null;
        foreach (PartitionLog log in logs)
        {
            CleaningPlan? plan = log.PlanCleaning();
            if (plan is null)
                continue;
            if (bestPlan is null || (plan.MaxCompactionLagExceeded, plan.DirtyRatio).CompareTo((bestPlan.MaxCompactionLagExceeded, bestPlan.DirtyRatio)) > 0)
            {
                best = log;
                bestPlan = plan;
            }
        }
        return best;
    }

    /// <summary>
    /// One cleaning pass over <paramref name="log"/>, on the caller's thread. Returns null when there was nothing
    /// to do (not compacted, nothing dirty, below the dirty ratio unless <paramref name="force"/>, or a segment
    /// went away under the pass).
    /// </summary>
    public CleanerStats? Clean(PartitionLog log, bool force = false)
    {
        lock (_passLock)
        {
            CleaningPlan? plan = log.PlanCleaning(force);
            if (plan is null)
                return null;
            var stats = new PassStats();
            long now = NowMs;
            _map.Clear();
            long endOffset;
            try
            {
                endOffset = BuildOffsetMap(plan);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            if (endOffset <= plan.FirstDirtyOffset && plan.FirstDirtyIndex < plan.Segments.Length)
                return null;  // The map filled before the first dirty batch: no progress possible.

            int segmentCount = 0;
            while (segmentCount < plan.Segments.Length && plan.Segments[segmentCount].BaseOffset < endOffset)
                segmentCount++;
            foreach (LogSegment[] group in Group(plan.Segments.AsSpan(0, segmentCount), plan.Config, plan.FirstUncleanableOffset))
            {
                if (group.All(s => s.Size == 0))
                    continue;
                stats.Segments += group.Length;
                if (CleanGroup(log, group, plan, now, stats))
                    stats.Swapped++;
                else
                    stats.Aborted++;
            }
            log.CompleteCleaning(endOffset, plan.TruncationSequence);
            return new CleanerStats(plan.FirstDirtyOffset, endOffset, stats.Segments, stats.Swapped, stats.Aborted, stats.BytesRead,
                stats.BytesWritten, stats.RecordsRead, stats.RecordsRetained, stats.TombstonesRemoved, _map.Count);
        }
    }

    /// <summary>Maps keys of the dirty segments; returns the offset the map covers up to (exclusive).</summary>
    private long BuildOffsetMap(CleaningPlan plan)
    {
        long end = plan.FirstDirtyOffset;
        for (int index = plan.FirstDirtyIndex; index < plan.Segments.Length; index++)
        {
            LogSegment segment = plan.Segments[index];
            using LogSegment.HandleLease lease = segment.Lease();
            var scanner = new SegmentScanner(segment.Handle, 0, segment.Size, OutputFlushBytes);
            try
            {
                while (scanner.NextBatch(out BatchInfo info, out ReadOnlySpan<byte> batch))
                {
                    if (info.LastOffset < plan.FirstDirtyOffset)
                        continue;
                    if (!MapBatch(batch, info, plan.FirstDirtyOffset))
                        return end;
                    end = info.NextOffset;
                }
            }
            finally
            {
                scanner.Dispose();
            }
            // The whole segment is mapped: the range reaches the next segment, gaps included.
            end = index + 1 < plan.Segments.Length ? plan.Segments[index + 1].BaseOffset : plan.FirstUncleanableOffset;
        }
        return end;
    }

    /// <summary>Puts the keys of one batch into the map; false if the map filled up.</summary>
    private bool MapBatch(ReadOnlySpan<byte> batch, in BatchInfo info, long firstDirty)
    {
        if (!IsCompactable(info) || !RecordBatchReader.TryOpen(batch, out RecordBatchReader reader).IsValid)
            return true;
        using (reader)
        {
            while (reader.TryReadNext(out Record record))
            {
                if (record.Key.IsNull || record.Offset < firstDirty)
                    continue;
                if (!_map.Put(record.Key.Span, record.Offset))
                    return false;
            }
        }
        return true;
    }

    private static bool IsCompactable(in BatchInfo info) =>
        (info.Attributes & (RecordBatchAttributes.Control | RecordBatchAttributes.Transactional)) == 0;

    /// <summary>
    /// Consecutive segments whose cleaned output fits one segment: within segment.bytes, the index sizes and
    /// the 32-bit relative offset range.
    /// </summary>
    private static List<LogSegment[]> Group(ReadOnlySpan<LogSegment> segments, LogConfig config, long upperBound)
    {
        var groups = new List<LogSegment[]>();
        int maxOffsetEntries = config.SegmentIndexBytes / OffsetIndex.Size;
        int maxTimeEntries = config.SegmentIndexBytes / TimeIndex.Size - 1;
        int start = 0;
        while (start < segments.Length)
        {
            long bytes = segments[start].Size;
            long offsetEntries = segments[start].OffsetIndex.Entries, timeEntries = segments[start].TimeIndex.Entries;
            int end = start + 1;
            while (end < segments.Length)
            {
                LogSegment next = segments[end];
                long nextUpper = end + 1 < segments.Length ? segments[end + 1].BaseOffset : upperBound;
                if (bytes + next.Size > config.SegmentBytes
                    || offsetEntries + next.OffsetIndex.Entries > maxOffsetEntries
                    || timeEntries + next.TimeIndex.Entries > maxTimeEntries
                    || nextUpper - 1 - segments[start].BaseOffset > int.MaxValue)
                {
                    break;
                }
                bytes += next.Size;
                offsetEntries += next.OffsetIndex.Entries;
                timeEntries += next.TimeIndex.Entries;
                end++;
            }
            groups.Add(segments[start..end].ToArray());
            start = end;
        }
        return groups;
    }

    /// <summary>Writes the cleaned form of a group into a <c>.cleaned</c> segment and swaps it in; false if aborted.</summary>
    private bool CleanGroup(PartitionLog log, LogSegment[] group, CleaningPlan plan, long now, PassStats stats)
    {
        LogSegment cleaned = LogSegment.Create(log.Directory, group[0].BaseOffset, plan.Config, now, log.Budgets, LogFileNames.CleanedSuffix);
        bool swapped = false;
        try
        {
            _output.Clear();
            long lastOffset = -1;
            for (int index = 0; index < group.Length; index++)
            {
                LogSegment segment = group[index];
                int size = segment.Size;
                using LogSegment.HandleLease lease = segment.Lease();
                var scanner = new SegmentScanner(segment.Handle, 0, size, OutputFlushBytes);
                try
                {
                    while (scanner.NextBatch(out BatchInfo info, out ReadOnlySpan<byte> batch))
                    {
                        stats.BytesRead += info.Size;
                        bool lastOfGroup = index == group.Length - 1 && scanner.Position == size;
                        if (FilterBatch(batch, info, plan.Config, now, lastOfGroup, stats))
                            lastOffset = info.LastOffset;
                        if (_output.WrittenCount >= OutputFlushBytes)
                            FlushOutput(cleaned, lastOffset, plan.Config, stats);
                    }
                }
                finally
                {
                    scanner.Dispose();
                }
            }
            FlushOutput(cleaned, lastOffset, plan.Config, stats);
            cleaned.OnBecomeInactive();
            cleaned.Flush();
            swapped = log.TryReplaceWithCleaned(group, cleaned, plan.TruncationSequence);
            return swapped;
        }
        catch (ObjectDisposedException)
        {
            // A segment of the group was deleted (retention) under the pass.
            return false;
        }
        finally
        {
            if (!swapped)
                cleaned.Delete();
        }
    }

    private void FlushOutput(LogSegment cleaned, long lastOffset, LogConfig config, PassStats stats)
    {
        if (_output.WrittenCount == 0)
            return;
        cleaned.Append(_output.WrittenSpan, lastOffset, config.IndexIntervalBytes);
        stats.BytesWritten += _output.WrittenCount;
        _output.Clear();
    }

    /// <summary>
    /// Writes what survives of one batch to the output: the batch as it is, a rebuilt batch of the surviving
    /// records, an empty batch (the group's last batch only), or nothing. Returns whether anything was written.
    /// </summary>
    private bool FilterBatch(ReadOnlySpan<byte> batch, in BatchInfo info, LogConfig config, long now, bool lastOfGroup, PassStats stats)
    {
        if (!IsCompactable(info) || !RecordBatchReader.TryOpen(batch, out RecordBatchReader reader).IsValid)
        {
            Copy(batch);
            return true;
        }
        using (reader)
        {
            bool hasHorizon = (info.Attributes & RecordBatchAttributes.HasDeleteHorizon) != 0;
            long horizon = hasHorizon ? RecordBatchHeader.BaseTimestamp(batch) : -1;
            int retained = 0, read = 0;
            bool keepsTombstone = false;
            int tombstonesRemoved = 0;
            while (reader.TryReadNext(out Record record))
            {
                read++;
                if (ShouldRetain(record, hasHorizon, horizon, now))
                {
                    retained++;
                    keepsTombstone |= record.IsTombstone;
                }
                else if (record.IsTombstone)
                {
                    tombstonesRemoved++;
                }
            }
            stats.RecordsRead += read;
            if (!reader.Error.IsValid)
            {
                // A malformed record (only headers are checked on append): keep the batch as it is.
                stats.RecordsRetained += read;
                Copy(batch);
                return true;
            }
            stats.TombstonesRemoved += tombstonesRemoved;
            stats.RecordsRetained += retained;
            bool needsHorizon = keepsTombstone && !hasHorizon;
            if (retained == read && !needsHorizon)
            {
                Copy(batch);
                return true;
            }
            if (retained == 0 && !lastOfGroup)
                return false;

            RecordBatch header = reader.Batch;
            _builder.Reset();
            _builder.BaseOffset = info.BaseOffset;
            _builder.PartitionLeaderEpoch = info.PartitionLeaderEpoch;
            _builder.TimestampType = header.TimestampType;
            _builder.Compression = header.Compression;
            _builder.LogAppendTime = header.TimestampType == TimestampType.LogAppendTime ? info.MaxTimestamp : -1;
            _builder.IsTransactional = false;
            _builder.IsControl = false;
            _builder.ProducerId = header.ProducerId;
            _builder.ProducerEpoch = header.ProducerEpoch;
            _builder.BaseSequence = header.BaseSequence;
            _builder.HasDeleteHorizon = hasHorizon || needsHorizon;
            if (hasHorizon)
                _builder.BaseTimestamp = horizon;
            else if (needsHorizon)
                _builder.BaseTimestamp = now > long.MaxValue - config.DeleteRetentionMs ? long.MaxValue : now + config.DeleteRetentionMs;
            _builder.LastOffsetDelta = (int)(info.LastOffset - info.BaseOffset);
            foreach (Record record in reader)
            {
                if (!ShouldRetain(record, hasHorizon, horizon, now))
                    continue;
                _builder.NextOffsetDelta = record.OffsetDelta;
                _builder.Append(record.Timestamp, record.Key, record.Value, record.Headers);
            }
            Copy(_builder.Build().Span);
            return true;
        }
    }

    /// <summary>A record stays if it has a key, is its key's latest (or its key is unmapped), and is not an expired tombstone.</summary>
    private bool ShouldRetain(in Record record, bool hasHorizon, long horizon, long now)
    {
        if (record.Key.IsNull)
            return false;
        if (record.Offset < _map.Get(record.Key.Span))
            return false;
        return !record.IsTombstone || !hasHorizon || now < horizon;
    }

    private void Copy(ReadOnlySpan<byte> batch)
    {
        batch.CopyTo(_output.GetSpan(batch.Length));
        _output.Advance(batch.Length);
    }

    public void Dispose()
    {
        StopAsync().GetAwaiter().GetResult();
        _builder.Dispose();
        _output.Dispose();
    }

    private sealed class PassStats
    {
        public int Segments;
        public int Swapped;
        public int Aborted;
        public long BytesRead;
        public long BytesWritten;
        public long RecordsRead;
        public long RecordsRetained;
        public long TombstonesRemoved;
    }
}
