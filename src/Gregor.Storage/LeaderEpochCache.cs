namespace Gregor.Storage;

/// <summary>
/// The leader epochs of one log and the offset each began at, ascending in both (KIP-101/279). Readers take the
/// published array without a lock; changes come from the log's writer (under its lock), build a new array and return
/// whether anything changed, so the caller persists only real changes. Entries are few: one per leadership change
/// that wrote data (or was recorded by a new leader).
/// </summary>
internal sealed class LeaderEpochCache
{
    private LeaderEpochEntry[] _entries;

    public LeaderEpochCache(LeaderEpochEntry[] entries) => _entries = entries;

    public LeaderEpochEntry[] Entries => Volatile.Read(ref _entries);

    public int LatestEpoch
    {
        get
        {
            LeaderEpochEntry[] entries = Entries;
            return entries.Length == 0 ? EpochEndOffset.UndefinedEpoch : entries[^1].Epoch;
        }
    }

    /// <summary>
    /// Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/>, with Kafka's rules: nothing
    /// changes when the latest entry has this epoch and starts at or before the offset; otherwise entries that
    /// conflict with the new one (an epoch at or above it, or a start at or after it) are dropped from the end first,
    /// so the cache stays increasing in both epoch and offset. Returns whether the cache changed.
    /// </summary>
    public bool Assign(int epoch, long startOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        LeaderEpochEntry[] entries = _entries;
        if (entries.Length > 0 && entries[^1].Epoch == epoch && entries[^1].StartOffset <= startOffset)
            return false;
        int keep = entries.Length;
        while (keep > 0 && (entries[keep - 1].Epoch >= epoch || entries[keep - 1].StartOffset >= startOffset))
            keep--;
        var updated = new LeaderEpochEntry[keep + 1];
        Array.Copy(entries, updated, keep);
        updated[keep] = new LeaderEpochEntry(epoch, startOffset);
        Volatile.Write(ref _entries, updated);
        return true;
    }

    /// <summary>Drops the entries starting at or after <paramref name="endOffset"/> (the log was cut there).</summary>
    public bool TruncateFromEnd(long endOffset)
    {
        LeaderEpochEntry[] entries = _entries;
        int keep = entries.Length;
        while (keep > 0 && entries[keep - 1].StartOffset >= endOffset)
            keep--;
        if (keep == entries.Length)
            return false;
        Volatile.Write(ref _entries, entries[..keep]);
        return true;
    }

    /// <summary>
    /// The log now starts at <paramref name="startOffset"/>: entries wholly before it go and the last entry at or
    /// before it is kept, moved to start there (its epoch still covers the first offset left).
    /// </summary>
    public bool TruncateFromStart(long startOffset)
    {
        LeaderEpochEntry[] entries = _entries;
        int covering = -1;
        while (covering + 1 < entries.Length && entries[covering + 1].StartOffset <= startOffset)
            covering++;
        if (covering < 0 || (covering == 0 && entries[0].StartOffset == startOffset))
            return false;
        LeaderEpochEntry[] updated = entries[covering..];
        updated[0] = new LeaderEpochEntry(entries[covering].Epoch, startOffset);
        Volatile.Write(ref _entries, updated);
        return true;
    }

    public bool Clear()
    {
        if (_entries.Length == 0)
            return false;
        Volatile.Write(ref _entries, []);
        return true;
    }

    /// <summary>
    /// Kafka's end offset for a requested epoch: the latest epoch ends at the log end offset; an epoch the log has
    /// an entry at or below answers that entry's epoch and the start of the next larger one; an epoch below every
    /// entry answers itself and the first entry's start (the data before it is gone); an epoch above every entry,
    /// or an empty cache, answers (-1, -1).
    /// </summary>
    public EpochEndOffset EndOffsetFor(int requestedEpoch, long logEndOffset) => EndOffsetFor(Entries, requestedEpoch, logEndOffset);

    /// <summary><see cref="EndOffsetFor(int, long)"/> over entries read before the log end offset (so a concurrent append only makes the end later).</summary>
    public static EpochEndOffset EndOffsetFor(LeaderEpochEntry[] entries, int requestedEpoch, long logEndOffset)
    {
        if (requestedEpoch == EpochEndOffset.UndefinedEpoch || entries.Length == 0)
            return EpochEndOffset.Undefined;
        if (entries[^1].Epoch == requestedEpoch)
            return new EpochEndOffset(requestedEpoch, logEndOffset);
        int higher = 0;
        while (higher < entries.Length && entries[higher].Epoch <= requestedEpoch)
            higher++;
        if (higher == entries.Length)
            return EpochEndOffset.Undefined;
        return higher == 0
            ? new EpochEndOffset(requestedEpoch, entries[0].StartOffset)
            : new EpochEndOffset(entries[higher - 1].Epoch, entries[higher].StartOffset);
    }

    /// <summary>The epoch of the entry covering <paramref name="offset"/> (the last one starting at or before it), or -1.</summary>
    public int EpochForOffset(long offset)
    {
        int epoch = EpochEndOffset.UndefinedEpoch;
        foreach (LeaderEpochEntry entry in Entries)
        {
            if (entry.StartOffset > offset)
                break;
            epoch = entry.Epoch;
        }
        return epoch;
    }
}
