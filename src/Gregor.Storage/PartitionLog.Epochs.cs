namespace Gregor.Storage;

/// <summary>
/// Leader epochs (KIP-101/279): which leader epoch wrote which offsets, kept in <c>leader-epoch-checkpoint</c> and
/// rewritten (durably, before the data it describes is appended) whenever it changes. Followers and consumers ask a
/// leader where their last epoch ends in its log to find where their own copy diverged.
/// </summary>
public sealed partial class PartitionLog
{
    // Replaced once in FinishOpen; changed only under the writer lock, read without it.
    private LeaderEpochCache _epochs = new([]);

    /// <summary>The latest leader epoch the log knows, or -1.</summary>
    public int LatestEpoch => _epochs.LatestEpoch;

    /// <summary>The leader epochs and their start offsets, ascending.</summary>
    public IReadOnlyList<LeaderEpochEntry> LeaderEpochs => _epochs.Entries;

    /// <summary>
    /// Where <paramref name="requestedEpoch"/> ends in this log (Kafka's OffsetForLeaderEpoch answer): for the latest
    /// epoch the log end offset; else the largest known epoch at or below the requested one and the start offset of
    /// the next one (the requested epoch itself and the first start offset when it is below every known epoch);
    /// (-1, -1) when it is above every known epoch or none is known.
    /// </summary>
    public EpochEndOffset EndOffsetForEpoch(int requestedEpoch)
    {
        LeaderEpochEntry[] entries = _epochs.Entries;
        return LeaderEpochCache.EndOffsetFor(entries, requestedEpoch, LogEndOffset);
    }

    /// <summary>The leader epoch that wrote <paramref name="offset"/> (of the last entry starting at or before it), or -1.</summary>
    public int EpochForOffset(long offset) => _epochs.EpochForOffset(offset);

    /// <summary>
    /// Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/>: a new leader calls this with its
    /// epoch and its log end offset before taking writes. Kafka's rules: nothing changes if the latest entry already
    /// has this epoch at or before the offset; entries at or above the epoch, or starting at or after the offset, are
    /// replaced. Persisted before returning when it changed anything.
    /// </summary>
    public void AssignEpochStartOffset(int epoch, long startOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        lock (_writeLock)
        {
            ThrowIfClosed();
            if (_epochs.Assign(epoch, startOffset))
                PersistEpochs();
        }
    }

    /// <summary>Opening: the epochs loaded or rebuilt, cut to the log as recovered, written if that changed them.</summary>
    private void LoadEpochs(LeaderEpochRecovery.Result loaded, bool created)
    {
        _epochs = loaded.Cache;
        bool changed = loaded.MustWrite;
        changed |= _epochs.TruncateFromEnd(_logEndOffset);
        changed |= _epochs.TruncateFromStart(_logStartOffset);
        // A new log's empty list needs no fsync (as its state checkpoint): lost, it is rebuilt from no segments.
        if (changed)
            LeaderEpochCheckpoint.Write(Directory, _epochs.Entries, durable: !created);
    }

    /// <summary>Under the writer lock: the leader epoch of appended data starting at <paramref name="startOffset"/>.</summary>
    private void LearnEpoch(int epoch, long startOffset)
    {
        if (epoch >= 0 && epoch != _epochs.LatestEpoch && _epochs.Assign(epoch, startOffset))
            PersistEpochs();
    }

    /// <summary>Under the writer lock: the log was cut so that it ends at <paramref name="endOffset"/>.</summary>
    private void TruncateEpochsFromEnd(long endOffset)
    {
        if (_epochs.TruncateFromEnd(endOffset))
            PersistEpochs();
    }

    /// <summary>Under the writer lock: the log start offset moved to <paramref name="startOffset"/>.</summary>
    private void TruncateEpochsFromStart(long startOffset)
    {
        if (_epochs.TruncateFromStart(startOffset))
            PersistEpochs();
    }

    private void ClearEpochs()
    {
        if (_epochs.Clear())
            PersistEpochs();
    }

    private void PersistEpochs() => LeaderEpochCheckpoint.Write(Directory, _epochs.Entries);
}
