using System.Buffers;
using System.Diagnostics;
using Gregor.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace Gregor.Storage;

/// <summary>
/// One segment of a partition log: the <c>.log</c> file of batches starting at <see cref="BaseOffset"/> and its
/// <c>.index</c> and <c>.timeindex</c>. The owning log's single writer appends; readers read concurrently and
/// only ever see bytes below the published <see cref="Size"/>, which moves after the bytes are written.
/// </summary>
public sealed partial class LogSegment
{
    private int _size;
    private long _maxTimestampSoFar = long.MinValue;
    private long _offsetOfMaxTimestampSoFar;
    private int _bytesSinceLastIndexEntry;
    private long _rollingBasedTimestamp = long.MinValue;
    private long _createdMs;
    private int _closed;
    // Bytes written to the .log since its last fsync.
    private int _unflushed;
    // Appended, recovered or truncated since it was opened: a segment that was not has nothing to finish at close.
    private bool _modified;

    private LogSegment(string directory, long baseOffset, string suffix, long size, OffsetIndex offsetIndex, TimeIndex timeIndex, long nowMs, ResourceBudget openFiles)
    {
        Directory = directory;
        BaseOffset = baseOffset;
        Suffix = suffix;
        _openFiles = openFiles;
        OffsetIndex = offsetIndex;
        TimeIndex = timeIndex;
        _size = checked((int)size);
        _createdMs = nowMs;
    }

    public string Directory { get; }

    public long BaseOffset { get; }

    /// <summary>"" for a live segment, or <see cref="LogFileNames.CleanedSuffix"/> / <see cref="LogFileNames.SwapSuffix"/> / <see cref="LogFileNames.DeletedSuffix"/>.</summary>
    public string Suffix { get; private set; }

    public OffsetIndex OffsetIndex { get; }

    public TimeIndex TimeIndex { get; }

    public string LogPath => LogFileNames.LogFile(Directory, BaseOffset, Suffix);

    /// <summary>Bytes of whole batches readers may see.</summary>
    public int Size => Volatile.Read(ref _size);

    internal bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Creates empty files for a new segment (replacing leftovers of the same name).</summary>
    internal static LogSegment Create(string directory, long baseOffset, LogConfig config, long nowMs, StorageBudgets budgets, string suffix = "")
    {
        foreach (string path in (ReadOnlySpan<string>)[
            LogFileNames.LogFile(directory, baseOffset, suffix),
            LogFileNames.OffsetIndexFile(directory, baseOffset, suffix),
            LogFileNames.TimeIndexFile(directory, baseOffset, suffix)])
        {
            File.Delete(path);
        }
        return Open(directory, baseOffset, config, nowMs, writable: true, budgets, suffix);
    }

    /// <summary>
    /// Opens a segment (creating missing files) without holding any descriptor: the .log is opened when first
    /// leased and its indexes are mapped when first used, each under its budget. <paramref name="writable"/> gives
    /// the indexes room for appends (preallocated when first mapped).
    /// </summary>
    internal static LogSegment Open(string directory, long baseOffset, LogConfig config, long nowMs, bool writable, StorageBudgets budgets, string suffix = "")
    {
        string logPath = LogFileNames.LogFile(directory, baseOffset, suffix);
        var info = new FileInfo(logPath);
        if (!info.Exists)
        {
            using (File.OpenHandle(logPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
                info.Refresh();
        }
        var offsetIndex = new OffsetIndex(LogFileNames.OffsetIndexFile(directory, baseOffset, suffix), baseOffset, config.SegmentIndexBytes, writable, budgets.Mappings);
        var timeIndex = new TimeIndex(LogFileNames.TimeIndexFile(directory, baseOffset, suffix), baseOffset, config.SegmentIndexBytes, writable, budgets.Mappings);
        return new LogSegment(directory, baseOffset, suffix, info.Length, offsetIndex, timeIndex, nowMs, budgets.OpenFiles);
    }

    /// <summary>The largest batch timestamp seen, or -1; read from the time index's last entry on first use.</summary>
    public long MaxTimestampSoFar
    {
        get
        {
            LoadMaxTimestamp();
            return Volatile.Read(ref _maxTimestampSoFar);
        }
    }

    /// <summary>The last offset of the batch holding <see cref="MaxTimestampSoFar"/>.</summary>
    public long OffsetOfMaxTimestampSoFar
    {
        get
        {
            LoadMaxTimestamp();
            return Volatile.Read(ref _offsetOfMaxTimestampSoFar);
        }
    }

    /// <summary>What retention.ms compares: the largest timestamp, or the file's modification time if none.</summary>
    public long LargestTimestamp
    {
        get
        {
            long max = MaxTimestampSoFar;
            return max >= 0 ? max : new DateTimeOffset(File.GetLastWriteTimeUtc(LogPath)).ToUnixTimeMilliseconds();
        }
    }

    /// <summary>Whether <see cref="Append"/> would need a new segment for this append (Kafka's shouldRoll).</summary>
    public bool ShouldRoll(LogConfig config, int appendBytes, long maxTimestampInAppend, long lastOffsetInAppend, long nowMs)
    {
        int size = Size;
        if (size == 0)
            return !OffsetIndex.CanAppendOffset(lastOffsetInAppend);
        return (long)size + appendBytes > config.SegmentBytes
            || TimeWaitedForRoll(nowMs, maxTimestampInAppend) > config.SegmentMs
            || OffsetIndex.IsFull
            || TimeIndex.IsFull
            || !OffsetIndex.CanAppendOffset(lastOffsetInAppend);
    }

    /// <summary>
    /// Kafka's segment.ms clock: the new batches' timestamp minus the first batch's when the first batch has a
    /// timestamp, else wall time since the segment was created.
    /// </summary>
    public long TimeWaitedForRoll(long nowMs, long messageTimestamp)
    {
        long first = FirstBatchTimestamp();
        return first >= 0 ? messageTimestamp - first : nowMs - _createdMs;
    }

    /// <summary>The max timestamp of the first batch, or -1 when empty or without a timestamp.</summary>
    public long FirstBatchTimestamp()
    {
        long loaded = Volatile.Read(ref _rollingBasedTimestamp);
        if (loaded != long.MinValue)
            return loaded;
        if (Size == 0)
            return -1;
        using HandleLease lease = Lease();
        var scanner = new SegmentScanner(Handle, 0, Size, RecordBatchHeader.Size);
        try
        {
            long first = scanner.NextHeader(out BatchInfo info) ? info.MaxTimestamp : -1;
            Volatile.Write(ref _rollingBasedTimestamp, first);
            return first;
        }
        finally
        {
            scanner.Dispose();
        }
    }

    /// <summary>
    /// Appends already validated batches whose offsets are assigned. Index entries go in every
    /// index.interval.bytes; the new size is published after the bytes are written, the index entries after that.
    /// </summary>
    internal void Append(ReadOnlySpan<byte> batches, long lastOffset, int indexIntervalBytes)
    {
        using HandleLease lease = Lease();
        if (batches.IsEmpty)
            return;
        if (!OffsetIndex.CanAppendOffset(lastOffset))
            throw new InvalidOperationException($"Offset {lastOffset} does not fit in segment {BaseOffset}.");
        int position = _size;
        if ((long)position + batches.Length > int.MaxValue)
            throw new InvalidOperationException($"Segment {BaseOffset} would exceed 2 GiB.");
        _modified = true;
        Volatile.Write(ref _unflushed, 1);
        RandomAccess.Write(Handle, batches, position);
        Volatile.Write(ref _size, position + batches.Length);
        IndexAppended(batches, position, indexIntervalBytes);
    }

    private void IndexAppended(ReadOnlySpan<byte> batches, int position, int indexIntervalBytes)
    {
        LoadMaxTimestamp();
        int cursor = 0;
        while (cursor < batches.Length)
        {
            ReadOnlySpan<byte> batch = batches[cursor..];
            int size = RecordBatchHeader.TotalSize(batch);
            long batchMax = RecordBatchHeader.MaxTimestamp(batch);
            long batchLast = RecordBatchHeader.LastOffset(batch);
            if (position + cursor == 0)
                Volatile.Write(ref _rollingBasedTimestamp, batchMax);
            if (batchMax > _maxTimestampSoFar)
            {
                Volatile.Write(ref _offsetOfMaxTimestampSoFar, batchLast);
                Volatile.Write(ref _maxTimestampSoFar, batchMax);
            }
            if (_bytesSinceLastIndexEntry > indexIntervalBytes)
            {
                OffsetIndex.Append(batchLast, position + cursor);
                TimeIndex.MaybeAppend(_maxTimestampSoFar, _offsetOfMaxTimestampSoFar);
                _bytesSinceLastIndexEntry = 0;
            }
            _bytesSinceLastIndexEntry += size;
            cursor += size;
        }
    }

    /// <summary>
    /// The first record at or after <paramref name="startingOffset"/> whose timestamp is at least
    /// <paramref name="timestamp"/>: the time index narrows the scan, batch max timestamps pick the batch, and
    /// the records inside it are searched.
    /// </summary>
    public TimestampAndOffset? FindOffsetByTimestamp(long timestamp, long startingOffset)
    {
        using HandleLease lease = Lease();
        TimestampOffset entry = TimeIndex.Lookup(timestamp);
        long from = Math.Max(entry.Offset, startingOffset);
        OffsetPosition floor = OffsetIndex.Lookup(from);
        int size = Size;
        int start = floor.Position > 0 && !IndexEntryMatches(floor, size) ? 0 : floor.Position;
        var scanner = new SegmentScanner(Handle, start, size);
        try
        {
            while (scanner.NextHeader(out BatchInfo batch))
            {
                if (batch.MaxTimestamp < timestamp || batch.LastOffset < startingOffset)
                    continue;
                ReadOnlySpan<byte> bytes = scanner.BytesOf(batch);
                if (bytes.Length < batch.Size)
                    return null;
                TimestampAndOffset? found = RecordSearch.FirstAtOrAfter(bytes, batch, timestamp, startingOffset);
                if (found is not null)
                    return found;
            }
            return null;
        }
        finally
        {
            scanner.Dispose();
        }
    }

    /// <summary>The batch holding the segment's max timestamp and the record in it that carries it.</summary>
    public TimestampAndOffset? FindMaxTimestamp()
    {
        long max = MaxTimestampSoFar;
        if (max < 0)
            return null;
        return FindOffsetByTimestamp(max, BaseOffset);
    }

    /// <summary>Offset after the last batch (the base offset when empty). Scans from the last index entry.</summary>
    public long ReadNextOffset()
    {
        using HandleLease lease = Lease();
        int size = Size;
        OffsetPosition floor = OffsetIndex.Lookup(long.MaxValue);
        int start = floor.Position > 0 && !IndexEntryMatches(floor, size) ? 0 : floor.Position;
        long next = BaseOffset;
        var scanner = new SegmentScanner(Handle, start, size);
        try
        {
            while (scanner.NextHeader(out BatchInfo batch))
                next = batch.NextOffset;
            return next;
        }
        finally
        {
            scanner.Dispose();
        }
    }

    /// <summary>
    /// Revalidates every batch (framing, magic, CRC, header, increasing offsets), rebuilds both indexes and cuts
    /// the file at the first invalid batch. Returns the number of bytes cut; <paramref name="cutReason"/> says why.
    /// </summary>
    internal int Recover(LogConfig config, out string? cutReason)
    {
        using HandleLease lease = Lease();
        cutReason = null;
        _modified = true;
        // What is recovered may be in the page cache only (the process died, the machine did not): fsync it before it counts as flushed.
        Volatile.Write(ref _unflushed, 1);
        OffsetIndex.Reset(config.SegmentIndexBytes);
        TimeIndex.Reset(config.SegmentIndexBytes);
        int fileSize = checked((int)RandomAccess.GetLength(Handle));
        long maxTimestamp = -1, offsetOfMax = BaseOffset, expectedAtLeast = BaseOffset;
        int valid = 0, lastIndexedAt = 0;
        var scanner = new SegmentScanner(Handle, 0, fileSize, 1024 * 1024);
        try
        {
            while (scanner.NextBatch(out BatchInfo batch, out ReadOnlySpan<byte> bytes))
            {
                RecordBatchValidationResult check = RecordBatchValidator.Validate(bytes, StoredBatchChecks.Recovery);
                if (!check.IsValid)
                {
                    cutReason = $"batch at position {batch.Position}: {check.Message}";
                    break;
                }
                if (batch.BaseOffset < expectedAtLeast || !OffsetIndex.CanAppendOffset(batch.LastOffset))
                {
                    cutReason = $"batch at position {batch.Position} has offsets [{batch.BaseOffset}, {batch.LastOffset}], expected at least {expectedAtLeast} within the segment's range";
                    break;
                }
                if (batch.MaxTimestamp > maxTimestamp)
                {
                    maxTimestamp = batch.MaxTimestamp;
                    offsetOfMax = batch.LastOffset;
                }
                if (valid - lastIndexedAt > config.IndexIntervalBytes)
                {
                    OffsetIndex.Append(batch.LastOffset, valid);
                    TimeIndex.MaybeAppend(maxTimestamp, offsetOfMax);
                    lastIndexedAt = valid;
                }
                valid += batch.Size;
                expectedAtLeast = batch.NextOffset;
            }
            cutReason ??= scanner.StopReason;
        }
        finally
        {
            scanner.Dispose();
        }
        if (fileSize > valid)
            RandomAccess.SetLength(Handle, valid);
        Volatile.Write(ref _size, valid);
        Volatile.Write(ref _offsetOfMaxTimestampSoFar, offsetOfMax);
        Volatile.Write(ref _maxTimestampSoFar, maxTimestamp);
        Volatile.Write(ref _rollingBasedTimestamp, long.MinValue);
        _bytesSinceLastIndexEntry = valid - lastIndexedAt;
        TimeIndex.MaybeAppend(maxTimestamp, offsetOfMax, skipFullCheck: true);
        return fileSize - valid;
    }

    /// <summary>
    /// Removes every batch whose last offset is at or above <paramref name="offset"/> (a batch straddling it goes
    /// whole), and the index entries pointing at them. Returns the bytes removed.
    /// </summary>
    internal int TruncateTo(long offset, long nowMs)
    {
        using HandleLease lease = Lease();
        bool found = TryTranslateOffset(offset, out BatchInfo cutAt);
        _modified = true;
        OffsetIndex.TruncateTo(offset);
        TimeIndex.TruncateTo(offset);
        if (!found)
            return 0;
        int before = Size;
        Volatile.Write(ref _size, cutAt.Position);
        RandomAccess.SetLength(Handle, cutAt.Position);
        Volatile.Write(ref _unflushed, 1);
        _bytesSinceLastIndexEntry = 0;
        if (cutAt.Position == 0)
        {
            _createdMs = nowMs;
            Volatile.Write(ref _rollingBasedTimestamp, long.MinValue);
        }
        RecomputeMaxTimestamp();
        return before - cutAt.Position;
    }

    /// <summary>Largest timestamp after truncation: the time index's last entry, then a scan of what follows it.</summary>
    private void RecomputeMaxTimestamp()
    {
        TimestampOffset last = TimeIndex.LastEntry;
        long max = last.Timestamp, offsetOfMax = last.Offset;
        OffsetPosition floor = OffsetIndex.Lookup(last.Offset);
        int size = Size;
        int start = floor.Position > 0 && !IndexEntryMatches(floor, size) ? 0 : floor.Position;
        var scanner = new SegmentScanner(Handle, start, size);
        try
        {
            while (scanner.NextHeader(out BatchInfo batch))
            {
                if (batch.MaxTimestamp > max)
                {
                    max = batch.MaxTimestamp;
                    offsetOfMax = batch.LastOffset;
                }
            }
        }
        finally
        {
            scanner.Dispose();
        }
        Volatile.Write(ref _offsetOfMaxTimestampSoFar, offsetOfMax);
        Volatile.Write(ref _maxTimestampSoFar, max);
    }

    /// <summary>
    /// Writes the closing time index entry and trims both indexes to their entries. A segment not modified since
    /// it was opened got its closing entry when it last became inactive, so only the trim is left (no I/O unless
    /// something grew the index files).
    /// </summary>
    internal void OnBecomeInactive()
    {
        if (_modified)
        {
            LoadMaxTimestamp();
            TimeIndex.MaybeAppend(_maxTimestampSoFar, _offsetOfMaxTimestampSoFar, skipFullCheck: true);
        }
        OffsetIndex.TrimToValidSize();
        TimeIndex.TrimToValidSize();
    }

    /// <summary>Preallocates the indexes again so the segment can take appends (after open or truncation).</summary>
    internal void MakeWritable(LogConfig config)
    {
        OffsetIndex.Resize(OffsetIndex.RoundedCapacity(config.SegmentIndexBytes));
        TimeIndex.Resize(TimeIndex.RoundedCapacity(config.SegmentIndexBytes));
    }

    /// <summary>fsync the log file and both indexes (each only if written since its last fsync).</summary>
    public void Flush()
    {
        if (Interlocked.Exchange(ref _unflushed, 0) != 0)
        {
            try
            {
                // The handle may have been closed since the write: fsync through a new one still flushes the file.
                using HandleLease lease = Lease();
                RandomAccess.FlushToDisk(Handle);
            }
            catch
            {
                Volatile.Write(ref _unflushed, 1);
                throw;
            }
        }
        OffsetIndex.Flush();
        TimeIndex.Flush();
    }

    /// <summary>Renames all three files from their current suffix to <paramref name="newSuffix"/>.</summary>
    internal void ChangeSuffix(string newSuffix)
    {
        string oldLog = LogPath;
        string newLog = LogFileNames.LogFile(Directory, BaseOffset, newSuffix);
        OffsetIndex.Rename(LogFileNames.OffsetIndexFile(Directory, BaseOffset, newSuffix));
        TimeIndex.Rename(LogFileNames.TimeIndexFile(Directory, BaseOffset, newSuffix));
        if (File.Exists(oldLog))
            File.Move(oldLog, newLog, overwrite: true);
        Suffix = newSuffix;
    }

    /// <summary>Closes cleanly: final time index entry, indexes trimmed, handles released.</summary>
    internal void Close()
    {
        if (IsClosed)
            return;
        OnBecomeInactive();
        Dispose();
    }

    /// <summary>Releases handles without touching the files.</summary>
    internal void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        OffsetIndex.Dispose();
        TimeIndex.Dispose();
        CloseHandleAfterLastLease();
    }

    /// <summary>Releases handles and removes the files.</summary>
    internal void Delete()
    {
        Dispose();
        File.Delete(LogPath);
        File.Delete(OffsetIndex.FilePath);
        File.Delete(TimeIndex.FilePath);
    }

    public override string ToString() => $"LogSegment(base={BaseOffset}, size={Size}{(Suffix.Length > 0 ? ", " + Suffix : "")})";

    private void LoadMaxTimestamp()
    {
        if (Volatile.Read(ref _maxTimestampSoFar) != long.MinValue)
            return;
        TimestampOffset last = TimeIndex.LastEntry;
        Volatile.Write(ref _offsetOfMaxTimestampSoFar, last.Offset);
        Volatile.Write(ref _maxTimestampSoFar, last.Timestamp);
    }
}
