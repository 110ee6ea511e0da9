namespace Gregor.Storage;

/// <summary>
/// One partition's log: a directory of segments in Kafka's layout. One writer at a time appends, rolls,
/// truncates and deletes (serialized by a lock); reads and lookups run concurrently without it, over an
/// immutable snapshot of the segment list and the sizes and end offset published after each write.
/// </summary>
public sealed partial class PartitionLog : IDisposable
{
    private readonly object _writeLock = new();
    private readonly object _checkpointLock = new();
    private readonly TimeProvider _time;
    private readonly StorageBudgets _budgets;
    private readonly List<PendingDeletion> _pendingDeletions = [];
    // Segments out of the list whose files go as soon as the writer lock is released.
    private readonly List<LogSegment> _deleteNow = [];
    private LogConfig _config;
    private AppendChecks _appendChecks;
    private LogSegment[] _segments;
    private long _logEndOffset;
    private long _logStartOffset;
    private long _highWatermark;
    private long _recoveryPoint;
    private long _cleanerOffset;
    // Odd while a truncation runs; readers retry if it changed (or was odd) across their read.
    private long _truncationSequence;
    private long _lastFlushMs;
    private bool _directoryDirty;
    private LogState _lastWrittenState;
    // The log's own clean-shutdown marker is on disk; the first change removes it (see MarkModified).
    private bool _cleanMarkerPresent;
    private bool _closed;

    private PartitionLog(string directory, LogConfig config, TimeProvider time, StorageBudgets budgets, LogSegment[] segments, LogState state, RecoveryReport report)
    {
        Directory = directory;
        _config = config;
        _appendChecks = new AppendChecks(config);
        _time = time;
        _budgets = budgets;
        _segments = segments;
        _logStartOffset = state.LogStartOffset;
        _recoveryPoint = state.RecoveryPoint;
        _highWatermark = state.HighWatermark;
        _cleanerOffset = state.CleanerOffset;
        _logEndOffset = report.HadCleanShutdown && EndOffsetFits(segments[^1], state.RecoveryPoint)
            ? state.RecoveryPoint
            : segments[^1].ReadNextOffset();
        _lastFlushMs = NowMs;
        Recovery = report;
        if (LogFileNames.TryParsePartitionDirectoryName(System.IO.Path.GetFileName(directory), out string topic, out int partition))
        {
            Topic = topic;
            Partition = partition;
        }
        else
        {
            Topic = System.IO.Path.GetFileName(directory);
            Partition = -1;
        }
    }

    /// <summary>The partition directory.</summary>
    public string Directory { get; }

    public string Topic { get; }

    /// <summary>From the directory name; -1 if it does not follow <c>&lt;topic&gt;-&lt;partition&gt;</c>.</summary>
    public int Partition { get; }

    public LogConfig Config => Volatile.Read(ref _config);

    /// <summary>What opening the log found and repaired.</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>The first offset a consumer may read.</summary>
    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    /// <summary>The offset the next appended record gets.</summary>
    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>The offset up to which replication has committed; consumers read below it.</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark);

    /// <summary>Every offset below this is on disk (fsynced); recovery after a crash starts here.</summary>
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);

    /// <summary>Where the cleaner's next pass starts: everything below has been compacted at least once.</summary>
    public long CleanerOffset => Volatile.Read(ref _cleanerOffset);

    /// <summary>Raised (on the writer's thread) when the high watermark moves.</summary>
    public event Action<PartitionLog, long>? HighWatermarkChanged;

    /// <summary>The segments, oldest first; the last one is active.</summary>
    public IReadOnlyList<LogSegment> Segments => Volatile.Read(ref _segments);

    public LogSegment ActiveSegment => Volatile.Read(ref _segments)[^1];

    /// <summary>Total bytes of all segments.</summary>
    public long Size
    {
        get
        {
            long total = 0;
            foreach (LogSegment segment in Volatile.Read(ref _segments))
                total += segment.Size;
            return total;
        }
    }

    /// <summary>The budgets of open files and mappings this log's segments count against.</summary>
    internal StorageBudgets Budgets => _budgets;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, recovering it if the last stop was unclean.
    /// See <see cref="LogRecovery"/> for what is checked and repaired. A log closed cleanly is opened without
    /// reading its segments or writing anything; its files are opened and mapped when first used, under
    /// <paramref name="budgets"/> (the process-wide <see cref="StorageBudgets.Shared"/> by default).
    /// </summary>
    /// <param name="closedCleanly">
    /// The caller knows the log was closed cleanly although it has no marker of its own: a broker that closed all its
    /// logs with <see cref="CloseWithoutMarker"/> and marked the whole log dir clean, as Kafka does.
    /// </param>
    /// <param name="producerState">The broker-wide producer-state settings and cap (<see cref="ProducerStateConfig.Shared"/> by default).</param>
    public static PartitionLog Open(string directory, LogConfig? config = null, TimeProvider? time = null, StorageBudgets? budgets = null,
        bool closedCleanly = false, ProducerStateConfig? producerState = null)
    {
        config ??= LogConfig.Default;
        config.Validate();
        time ??= TimeProvider.System;
        budgets ??= StorageBudgets.Shared;
        LogRecovery.Loaded loaded = LogRecovery.Load(directory, config, time.GetUtcNow().ToUnixTimeMilliseconds(), budgets, closedCleanly);
        var log = new PartitionLog(directory, config, time, budgets, loaded.Segments, loaded.State, loaded.Report);
        log.AttachProducerState(producerState ?? ProducerStateConfig.Shared);
        log.FinishOpen(loaded);
        log.LoadProducerState(loaded.Report.HadCleanShutdown);
        return log;
    }

    /// <summary>
    /// After a clean close the checkpoint's recovery point is the log end offset (Close moves it there), which
    /// spares reading the active segment's tail; it must at least fit the active segment, else the tail is read.
    /// </summary>
    private static bool EndOffsetFits(LogSegment active, long endOffset) =>
        active.Size == 0 ? endOffset == active.BaseOffset : endOffset > active.BaseOffset && endOffset - active.BaseOffset <= int.MaxValue;

    private void FinishOpen(LogRecovery.Loaded loaded)
    {
        bool clean = loaded.Report.HadCleanShutdown;
        _cleanMarkerPresent = loaded.MarkerPresent;
        if (clean)
            _lastWrittenState = loaded.State;
        LoadEpochs(loaded.Epochs, loaded.Created);
        long leo = _logEndOffset;
        if (_logStartOffset > leo)
        {
            // A log start offset beyond everything on disk (segments lost or DeleteRecords past them): start empty there.
            TruncateFullyAndStartAt(_logStartOffset);
            leo = _logEndOffset;
        }
        _highWatermark = Math.Clamp(_highWatermark, _logStartOffset, leo);
        _cleanerOffset = Math.Clamp(_cleanerOffset, _logStartOffset, leo);
        _recoveryPoint = loaded.Report.HadCleanShutdown ? leo : Math.Min(_recoveryPoint, leo);
        if (loaded.Report.SegmentsRecovered > 0 || loaded.Report.IndexesRebuilt > 0)
        {
            // Repairs are made durable before anything new is appended after them.
            foreach (LogSegment segment in _segments)
                segment.Flush();
            _recoveryPoint = leo;
        }
        // A new log's checkpoint needs no fsync: without one the next open recovers from 0, which in an empty log is
        // nothing. It is created now, though, because creating a file is what costs (more than half a millisecond on a
        // busy disk), and a stop that closes many logs should only overwrite theirs. Otherwise the checkpoint is
        // written only if it changed (a clean log's did not), and the marker of a clean log stays until its first change.
        if (loaded.Created)
        {
            WriteCheckpoint(durable: false);
            return;
        }
        WriteCheckpoint();
        if (!clean)
            DirectorySync.Flush(Directory);
    }

    /// <summary>
    /// Called under the writer lock before anything changes the segments: the first change after a clean open
    /// removes the clean-shutdown marker (durably), since from then on a crash must be treated as unclean. Opening
    /// many logs thus costs no write per log, only the logs that change pay this once.
    /// </summary>
    private void MarkModified()
    {
        if (!_cleanMarkerPresent)
            return;
        File.Delete(System.IO.Path.Combine(Directory, LogFileNames.CleanShutdownMarker));
        DirectorySync.Flush(Directory);
        _cleanMarkerPresent = false;
    }

    /// <summary>Takes a new config live. Size and time limits apply from the next append; index sizes from the next segment.</summary>
    public void UpdateConfig(LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        lock (_writeLock)
        {
            Volatile.Write(ref _appendChecks, new AppendChecks(config));
            Volatile.Write(ref _config, config);
        }
    }

    /// <summary>Sets the high watermark (replication: a follower takes the leader's), clamped to [log start, log end].</summary>
    public void UpdateHighWatermark(long highWatermark)
    {
        long clamped;
        lock (_writeLock)
        {
            clamped = Math.Clamp(highWatermark, LogStartOffset, LogEndOffset);
            if (clamped == _highWatermark)
                return;
            Volatile.Write(ref _highWatermark, clamped);
        }
        HighWatermarkChanged?.Invoke(this, clamped);
    }

    /// <summary>Raises the high watermark only (leader: the ISR's minimum end offset moved); returns whether it moved.</summary>
    public bool MaybeIncrementHighWatermark(long highWatermark)
    {
        long clamped;
        lock (_writeLock)
        {
            clamped = Math.Min(highWatermark, LogEndOffset);
            if (clamped <= _highWatermark)
                return false;
            Volatile.Write(ref _highWatermark, clamped);
        }
        HighWatermarkChanged?.Invoke(this, clamped);
        return true;
    }

    /// <summary>
    /// fsyncs every segment that may hold unflushed data, then records the end offset as the recovery point.
    /// </summary>
    public void Flush() => FlushUpTo(LogEndOffset);

    /// <summary>Flushes the segments holding offsets below <paramref name="offset"/> and moves the recovery point there.</summary>
    public void FlushUpTo(long offset)
    {
        LogSegment[] toFlush;
        long sequence;
        bool syncDirectory;
        lock (_writeLock)
        {
            ThrowIfClosed();
            offset = Math.Min(offset, _logEndOffset);
            if (offset <= _recoveryPoint && !_directoryDirty)
                return;
            sequence = Volatile.Read(ref _truncationSequence);
            toFlush = SegmentsBetween(_recoveryPoint, offset);
            syncDirectory = _directoryDirty;
            _directoryDirty = false;
        }
        // fsync outside the writer lock so appends continue; a segment deleted meanwhile needs no flush.
        foreach (LogSegment segment in toFlush)
        {
            try
            {
                segment.Flush();
            }
            catch (ObjectDisposedException)
            {
            }
        }
        if (syncDirectory)
            DirectorySync.Flush(Directory);
        lock (_writeLock)
        {
            _lastFlushMs = NowMs;
            if (Volatile.Read(ref _truncationSequence) == sequence && offset > _recoveryPoint)
                Volatile.Write(ref _recoveryPoint, offset);
        }
        WriteCheckpoint();
    }

    /// <summary>Segments that may hold offsets in [from, to): from the one containing <paramref name="from"/> on.</summary>
    private LogSegment[] SegmentsBetween(long from, long to)
    {
        LogSegment[] segments = _segments;
        int first = Math.Max(0, FloorIndex(segments, from));
        int last = segments.Length - 1;
        while (last > first && segments[last].BaseOffset >= to)
            last--;
        return segments[first..(last + 1)];
    }

    /// <summary>Writes the per-log checkpoint if any of its values changed.</summary>
    public void WriteCheckpoint() => WriteCheckpoint(durable: true);

    private void WriteCheckpoint(bool durable)
    {
        lock (_checkpointLock)
        {
            var state = new LogState(LogStartOffset, RecoveryPoint, HighWatermark, CleanerOffset);
            if (state == _lastWrittenState && File.Exists(LogStateCheckpoint.PathIn(Directory)))
                return;
            LogStateCheckpoint.Write(Directory, state, durable);
            _lastWrittenState = state;
        }
    }

    /// <summary>
    /// Clean shutdown: flush everything, finish pending deletions, trim the indexes, write the checkpoint and
    /// then the clean-shutdown marker, so the next open skips recovery.
    /// </summary>
    public void Close()
    {
        if (CloseWithoutMarker(durable: true))
            WriteCleanShutdownMarker(durable: true);
    }

    /// <summary>
    /// The first half of a clean shutdown, for many logs closing at once: everything <see cref="Close"/> does but the
    /// clean-shutdown marker. With <paramref name="durable"/> false nothing is fsynced: the caller makes every log's
    /// writes durable with one sync of each file system (<see cref="DirectorySync.SyncFileSystem"/>), then marks them
    /// clean — each with <see cref="WriteCleanShutdownMarker"/>, or all at once with a marker of the log dir (then
    /// opened with <c>closedCleanly</c>) — and syncs again. Returns false if the log was closed already.
    /// </summary>
    public bool CloseWithoutMarker(bool durable)
    {
        lock (_writeLock)
        {
            if (_closed)
                return false;
            // First, so a failure to write it leaves the log open and whole rather than half closed.
            SnapshotProducerStateOnClose(durable);
            foreach (PendingDeletion pending in _pendingDeletions)
                pending.Segment.Delete();
            _pendingDeletions.Clear();
            foreach (LogSegment segment in _deleteNow)
                segment.Delete();
            _deleteNow.Clear();
            LogSegment[] segments = _segments;
            int firstUnflushed = Math.Max(0, FloorIndex(segments, _recoveryPoint));
            for (int index = 0; index < segments.Length; index++)
            {
                // Segments below the recovery point were trimmed and fsynced already; the rest get their
                // closing time index entry and trimmed indexes, made durable before the marker says "clean".
                if (index >= firstUnflushed)
                {
                    segments[index].OnBecomeInactive();
                    if (durable)
                        segments[index].Flush();
                }
                segments[index].Dispose();
            }
            if (_directoryDirty && durable)
                DirectorySync.Flush(Directory);
            Volatile.Write(ref _recoveryPoint, _logEndOffset);
            _producerState.Clear();
            _closed = true;
        }
        WriteCheckpoint(durable);
        return true;
    }

    /// <summary>
    /// Writes the marker that lets the next open skip recovery, once what <see cref="CloseWithoutMarker"/> wrote is
    /// durable. A log unchanged since a clean open still has its marker, and its close wrote nothing either.
    /// </summary>
    public void WriteCleanShutdownMarker(bool durable)
    {
        lock (_writeLock)
        {
            if (!_closed)
                throw new InvalidOperationException($"Log {Directory} is open; the clean-shutdown marker is written after it is closed.");
            if (_cleanMarkerPresent)
                return;
            File.WriteAllBytes(System.IO.Path.Combine(Directory, LogFileNames.CleanShutdownMarker), []);
            if (durable)
                DirectorySync.Flush(Directory);
            _cleanMarkerPresent = true;
        }
    }

    public void Dispose() => Close();

    /// <summary>
    /// Drops every handle with no flush, trim, checkpoint or marker: the on-disk state of a process that died
    /// here. For crash tests.
    /// </summary>
    internal void Abandon()
    {
        lock (_writeLock)
        {
            if (_closed)
                return;
            _closed = true;
            _producerState.Clear();
            foreach (PendingDeletion pending in _pendingDeletions)
                pending.Segment.Dispose();
            foreach (LogSegment segment in _deleteNow)
                segment.Dispose();
            foreach (LogSegment segment in _segments)
                segment.Dispose();
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
            throw new LogClosedException($"Log {Directory} is closed.");
    }

    /// <summary>Index of the last segment whose base offset is at most <paramref name="offset"/>, or -1.</summary>
    internal static int FloorIndex(LogSegment[] segments, long offset)
    {
        int low = 0, high = segments.Length - 1, found = -1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            if (segments[middle].BaseOffset <= offset)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found;
    }

    private void PublishSegments(LogSegment[] segments)
    {
        Volatile.Write(ref _segments, segments);
        _directoryDirty = true;
    }

    private readonly record struct PendingDeletion(long DueMs, LogSegment Segment);
}
