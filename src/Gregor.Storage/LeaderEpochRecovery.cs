namespace Gregor.Storage;

/// <summary>
/// Loads a log's leader epochs when it opens: from its <see cref="LeaderEpochCheckpoint"/>, or, when the file is
/// missing or malformed (entries not increasing included) in a log that holds data, from the batch headers of its
/// (recovered) segments.
/// </summary>
internal static class LeaderEpochRecovery
{
    /// <param name="Cache">The epochs found.</param>
    /// <param name="MustWrite">The file differs from <see cref="Cache"/> (missing, malformed or rebuilt) and should be rewritten.</param>
    internal readonly record struct Result(LeaderEpochCache Cache, bool MustWrite);

    internal static Result Load(string directory, bool filePresent, bool created, IReadOnlyList<LogSegment> segments, List<string> problems)
    {
        var cache = new LeaderEpochCache([]);
        string? problem = null;
        if (filePresent && LeaderEpochCheckpoint.TryRead(directory, out LeaderEpochEntry[] stored, out problem))
        {
            foreach (LeaderEpochEntry entry in stored)
                cache.Assign(entry.Epoch, entry.StartOffset);
            if (cache.Entries.AsSpan().SequenceEqual(stored))
                return new Result(cache, false);
            // The writer only ever writes increasing entries: anything else is damage, and the segments know better.
            problem = $"{LeaderEpochCheckpoint.PathIn(directory)} holds entries that do not increase";
            cache = new LeaderEpochCache([]);
        }
        if (problem is not null)
            problems.Add($"{problem}; rebuilding the leader epochs from the segments");
        // A new log has neither data nor epochs: nothing to rebuild. Its empty file is written at once (cheaply: see
        // PartitionLog.LoadEpochs) so that opening it later, as long as it keeps no epochs, never scans its segments.
        if (created)
            return new Result(cache, true);
        foreach (LogSegment segment in segments)
            segment.CollectLeaderEpochs(cache);
        return new Result(cache, true);
    }
}
