namespace Gregor.Storage;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Applies retention (retention.ms, retention.bytes under cleanup.policy delete; the log start offset
    /// always): deletes whole segments from the oldest and moves the log start offset to the first one left.
    /// Returns the number of segments deleted.
    /// </summary>
    public int ApplyRetention()
    {
        int count;
        lock (_writeLock)
        {
            ThrowIfClosed();
            long now = NowMs;
            LogSegment[] segments = _segments;
            (count, _) = RetentionPolicy.DeletableSegments(segments, _config, now, _highWatermark, _logStartOffset, _logEndOffset);
            if (count == 0)
                return 0;
            MarkModified();
            if (count == segments.Length)
            {
                // Every segment goes, the active one included: a new empty one at the log end takes the appends.
                Roll(_logEndOffset, now);
                segments = _segments;
            }
            // The start offset moves before the segments go, so a reader never passes the range check and
            // then finds its offset missing (readers also check their snapshot, for the other interleaving).
            long firstBase = segments[count].BaseOffset;
            if (firstBase > _logStartOffset)
                Volatile.Write(ref _logStartOffset, firstBase);
            PublishSegments(segments[count..]);
            for (int index = 0; index < count; index++)
                ScheduleDeletion(segments[index], now);
            // Snapshots go with their segments; the one at the new first segment's base stays.
            _producerState.DeleteSnapshotsBelow(segments[count].BaseOffset);
            if (_cleanerOffset < _logStartOffset)
                Volatile.Write(ref _cleanerOffset, _logStartOffset);
            TruncateEpochsFromStart(_logStartOffset);
        }
        DeleteUnlinkedSegments();
        WriteCheckpoint();
        return count;
    }

    /// <summary>
    /// Moves the log start offset forward (DeleteRecords). It may not pass the high watermark. Segments wholly
    /// below it are deleted at once; the rest of the data below it stays on disk but is no longer readable.
    /// </summary>
    public void IncreaseLogStartOffset(long offset)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            if (offset > _highWatermark)
                throw new OffsetOutOfRangeException($"Cannot move the log start offset to {offset}, past the high watermark {_highWatermark}.");
            if (offset <= _logStartOffset)
                return;
            Volatile.Write(ref _logStartOffset, offset);
            if (_cleanerOffset < offset)
                Volatile.Write(ref _cleanerOffset, offset);
            TruncateEpochsFromStart(offset);
        }
        WriteCheckpoint();
        ApplyRetention();
    }

    /// <summary>
    /// The periodic work a broker's scheduler calls: retention, deletion of files whose file.delete.delay.ms
    /// has passed, the flush.ms deadline, and flushing segments that rolled since the last flush so the
    /// recovery point follows them.
    /// </summary>
    public void RunMaintenance()
    {
        ApplyRetention();
        DeleteExpiredFiles();
        long now = NowMs;
        LogConfig config = Config;
        bool flushDue = now - Volatile.Read(ref _lastFlushMs) >= config.FlushMs && LogEndOffset > RecoveryPoint;
        if (flushDue)
            Flush();
        else if (RecoveryPoint < ActiveSegment.BaseOffset)
            FlushUpTo(ActiveSegment.BaseOffset);
        WriteCheckpoint();
    }

    /// <summary>Deletes the <c>.deleted</c> segments whose delay has passed; returns how many.</summary>
    public int DeleteExpiredFiles()
    {
        int deleted = 0;
        lock (_writeLock)
        {
            long now = NowMs;
            for (int index = _pendingDeletions.Count - 1; index >= 0; index--)
            {
                if (_pendingDeletions[index].DueMs > now)
                    continue;
                _deleteNow.Add(_pendingDeletions[index].Segment);
                _pendingDeletions.RemoveAt(index);
                deleted++;
            }
        }
        DeleteUnlinkedSegments();
        return deleted;
    }

    /// <summary>
    /// Deletes the files of segments that left the list and are due now, outside the writer lock: unlinking a
    /// big segment frees its page cache, which takes milliseconds that appends should not wait for.
    /// </summary>
    private void DeleteUnlinkedSegments()
    {
        LogSegment[] due;
        lock (_writeLock)
        {
            if (_deleteNow.Count == 0)
                return;
            due = [.. _deleteNow];
            _deleteNow.Clear();
        }
        foreach (LogSegment segment in due)
            segment.Delete();
    }

    /// <summary>Segments renamed to <c>.deleted</c> and waiting for file.delete.delay.ms.</summary>
    public int PendingDeletions
    {
        get
        {
            lock (_writeLock)
                return _pendingDeletions.Count;
        }
    }

    /// <summary>
    /// Renames a segment that left the list to <c>.deleted</c> and deletes it after file.delete.delay.ms, so
    /// reads that picked it up just before keep working (open handles survive the rename). With no delay the
    /// caller deletes it right after releasing the writer lock (<see cref="DeleteUnlinkedSegments"/>).
    /// </summary>
    private void ScheduleDeletion(LogSegment segment, long now)
    {
        segment.ChangeSuffix(LogFileNames.DeletedSuffix);
        _directoryDirty = true;
        long delay = _config.FileDeleteDelayMs;
        if (delay == 0)
            _deleteNow.Add(segment);
        else
            _pendingDeletions.Add(new PendingDeletion(now > long.MaxValue - delay ? long.MaxValue : now + delay, segment));
    }
}
