namespace Gregor.Storage;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Removes every batch at or after <paramref name="offset"/> (replication: a follower cutting back to the
    /// leader's log). A batch straddling the offset is removed whole, so the new log end offset is the end of the
    /// last batch kept. Returns whether anything was removed.
    /// </summary>
    public bool Truncate(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_writeLock)
        {
            ThrowIfClosed();
            if (offset >= _logEndOffset)
            {
                // A leader's epoch recorded at the end with no data after it must go when this log follows another.
                TruncateEpochsFromEnd(_logEndOffset);
                return false;
            }
            MarkModified();
            if (offset <= _segments[0].BaseOffset || offset < _logStartOffset)
            {
                TruncateFullyAndStartAt(offset);
                return true;
            }
            BeginTruncation();
            try
            {
                long now = NowMs;
                LogSegment[] segments = _segments;
                int keep = FloorIndex(segments, offset) + 1;
                LogSegment newActive = segments[keep - 1];
                PublishSegments(segments[..keep]);
                for (int index = keep; index < segments.Length; index++)
                    ScheduleDeletion(segments[index], now);
                newActive.TruncateTo(offset, now);
                newActive.MakeWritable(_config);
                long end = Math.Max(newActive.ReadNextOffset(), newActive.BaseOffset);
                Volatile.Write(ref _logEndOffset, end);
                LowerOffsetsTo(end);
                RebuildProducerState();
                TruncateEpochsFromEnd(end);
            }
            finally
            {
                EndTruncation();
            }
        }
        DeleteUnlinkedSegments();
        WriteCheckpoint();
        return true;
    }

    /// <summary>
    /// Deletes every segment and starts an empty log at <paramref name="offset"/> (a follower whose fetch offset
    /// fell out of the leader's range). Log start, end, high watermark and recovery point all become the offset.
    /// </summary>
    public void TruncateFullyAndStartAt(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_writeLock)
        {
            ThrowIfClosed();
            MarkModified();
            BeginTruncation();
            try
            {
                long now = NowMs;
                LogSegment[] old = _segments;
                LogSegment fresh = LogSegment.Create(Directory, offset, _config, now, _budgets, LogFileNames.CleanedSuffix);
                PublishSegments([fresh]);
                foreach (LogSegment segment in old)
                    ScheduleDeletion(segment, now);
                fresh.ChangeSuffix("");
                Volatile.Write(ref _logEndOffset, offset);
                Volatile.Write(ref _logStartOffset, offset);
                Volatile.Write(ref _highWatermark, offset);
                Volatile.Write(ref _recoveryPoint, offset);
                Volatile.Write(ref _cleanerOffset, offset);
                _producerState.TruncateFullyAndStartAt(offset);
                ClearEpochs();
            }
            finally
            {
                EndTruncation();
            }
        }
        DeleteUnlinkedSegments();
        WriteCheckpoint();
    }

    private void BeginTruncation() => Interlocked.Increment(ref _truncationSequence);

    private void EndTruncation() => Interlocked.Increment(ref _truncationSequence);

    private void LowerOffsetsTo(long end)
    {
        if (_highWatermark > end)
            Volatile.Write(ref _highWatermark, end);
        if (_recoveryPoint > end)
            Volatile.Write(ref _recoveryPoint, end);
        if (_cleanerOffset > end)
            Volatile.Write(ref _cleanerOffset, end);
    }
}
