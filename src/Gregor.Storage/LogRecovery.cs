using System.Globalization;
using System.IO.Enumeration;

namespace Gregor.Storage;

/// <summary>What opening a log found and repaired.</summary>
public sealed record RecoveryReport(
    bool HadCleanShutdown,
    int SegmentsLoaded,
    int SegmentsRecovered,
    long BytesTruncated,
    int IndexesRebuilt,
    int SwapsCompleted,
    int LeftoverFilesDeleted,
    IReadOnlyList<string> Problems);

/// <summary>
/// Brings a partition directory to a consistent state when a log opens.
/// <list type="bullet">
/// <item>A clean stop leaves <see cref="LogFileNames.CleanShutdownMarker"/> in the partition directory (one
/// marker per log, where Kafka keeps one per data directory; a broker closing many logs at once writes one in
/// the log dir instead, as Kafka does, and opens the logs with <c>closedCleanly</c>). Without it, every segment from the one holding
/// the checkpointed recovery point on is revalidated batch by batch (framing, magic, CRC, increasing offsets),
/// its indexes are rebuilt and it is cut at the first torn or corrupt batch; segments after a cut are deleted.
/// Segments below the recovery point were fsynced and are not rescanned.</item>
/// <item>Indexes that are missing or fail cheap sanity checks are rebuilt from their segment. After a clean stop
/// only the active segment's indexes are checked at once; older ones are checked when first mapped (a failed check
/// drops their entries, so lookups scan the segment), so opening a clean log reads none of them.</item>
/// <item><c>.deleted</c> and <c>.cleaned</c> files are removed; a <c>.swap</c> segment (a cleaned segment
/// whose replacement was committed) replaces the old segments its offsets cover and takes its final name.</item>
/// </list>
/// </summary>
public static class LogRecovery
{
    /// <param name="Created">The directory held no segment and no checkpoint: a new, empty log.</param>
    /// <param name="MarkerPresent">The log's own clean-shutdown marker is on disk.</param>
    /// <param name="Epochs">The leader epochs, read from their checkpoint or rebuilt from the segments.</param>
    internal sealed record Loaded(LogSegment[] Segments, LogState State, RecoveryReport Report, bool Created, bool MarkerPresent,
        LeaderEpochRecovery.Result Epochs);

    /// <param name="closedCleanly">The caller knows the log was closed cleanly though it has no marker of its own (its log dir's marker says so).</param>
    internal static Loaded Load(string directory, LogConfig config, long nowMs, StorageBudgets budgets, bool closedCleanly = false)
    {
        System.IO.Directory.CreateDirectory(directory);
        var problems = new List<string>();
        // One listing answers what would otherwise be a question to the file system per file.
        var listing = DirectoryListing.Of(directory);
        if (listing.TemporaryCheckpoint)
            File.Delete(Path.Combine(directory, LogStateCheckpoint.TemporaryName));
        if (listing.TemporaryEpochCheckpoint)
            File.Delete(Path.Combine(directory, LeaderEpochCheckpoint.TemporaryName));
        bool clean = listing.CleanShutdownMarker || closedCleanly;
        string? checkpointProblem = null;
        LogState state = default;
        bool checkpointFound = listing.Checkpoint && LogStateCheckpoint.TryRead(directory, out state, out checkpointProblem);
        if (!checkpointFound)
        {
            if (checkpointProblem is not null)
                problems.Add(checkpointProblem);
            // Without a checkpoint nothing is known to be flushed: recover everything.
            state = new LogState(0, 0, 0, 0);
            clean = false;
        }

        int leftovers = 0, swaps = 0;
        if (listing.HasSuffixedSegmentFiles)
        {
            leftovers = RemoveLeftovers(directory, problems);
            swaps = CompleteSwaps(directory, config, nowMs, budgets, problems);
            listing = DirectoryListing.Of(directory);
        }
        List<long> bases = listing.SegmentBases(directory, ref leftovers);
        var segments = new List<LogSegment>(bases.Count);
        int recovered = 0, rebuilt = 0;
        long truncatedBytes = 0;
        long recoverFrom = long.MinValue;
        bool created = bases.Count == 0 && !checkpointFound && checkpointProblem is null;
        LeaderEpochRecovery.Result epochs;
        if (!clean)
        {
            // Recovery starts at the segment holding the recovery point (or the first, if it is below them all).
            recoverFrom = bases.Count == 0 ? 0 : bases[0];
            foreach (long baseOffset in bases)
            {
                if (baseOffset <= state.RecoveryPoint)
                    recoverFrom = baseOffset;
            }
        }

        try
        {
            for (int index = 0; index < bases.Count; index++)
            {
                long baseOffset = bases[index];
                bool indexesPresent = listing.HasIndexes(baseOffset);
                LogSegment segment = LogSegment.Open(directory, baseOffset, config, nowMs, writable: false, budgets);
                segments.Add(segment);
                bool last = index == bases.Count - 1;
                if (!clean && baseOffset >= recoverFrom)
                {
                    int cut = segment.Recover(config, out string? cutReason);
                    recovered++;
                    truncatedBytes += cut;
                    if (cut > 0)
                    {
                        // Later segments were written after the torn bytes; nothing in them can be trusted to follow.
                        problems.Add($"{segment.LogPath}: cut {cut} bytes of torn or corrupt data at position {segment.Size} ({cutReason})");
                        truncatedBytes += DeleteSegmentsAfter(directory, bases, index, problems);
                        bases.RemoveRange(index + 1, bases.Count - index - 1);
                        last = true;
                    }
                    if (!last)
                        segment.OnBecomeInactive();
                    continue;
                }
                // A clean stop left every index trimmed and fsynced: each is checked only when first mapped.
                if (clean && indexesPresent)
                {
                    segment.OffsetIndex.CheckWhenMapped(segment.Size);
                    segment.TimeIndex.CheckWhenMapped(segment.Size);
                    continue;
                }
                string? indexProblem = !indexesPresent ? "index file missing" : SanityProblem(segment);
                if (indexProblem is not null)
                {
                    problems.Add($"{segment.LogPath}: {indexProblem}; rebuilding its indexes");
                    int cut = segment.Recover(config, out string? cutReason);
                    truncatedBytes += cut;
                    rebuilt++;
                    if (cut > 0)
                        problems.Add($"{segment.LogPath}: cut {cut} bytes of invalid data at position {segment.Size} ({cutReason})");
                    if (!last)
                        segment.OnBecomeInactive();
                }
            }

            if (segments.Count == 0)
                segments.Add(LogSegment.Create(directory, state.LogStartOffset, config, nowMs, budgets));
            // Room for appends; the index files grow only when the first entry is written.
            segments[^1].MakeWritable(config);
            epochs = LeaderEpochRecovery.Load(directory, listing.EpochCheckpoint, created, segments, problems);
        }
        catch
        {
            foreach (LogSegment segment in segments)
                segment.Dispose();
            throw;
        }

        long logStart = Math.Max(state.LogStartOffset, segments[0].BaseOffset);
        var report = new RecoveryReport(clean, segments.Count, recovered, truncatedBytes, rebuilt, swaps, leftovers, problems);
        return new Loaded([.. segments], state with { LogStartOffset = logStart }, report, created, listing.CleanShutdownMarker, epochs);
    }

    private static string? SanityProblem(LogSegment segment)
    {
        if (!segment.OffsetIndex.SanityCheck(segment.Size, out string offsetProblem))
            return "offset index " + offsetProblem;
        if (!segment.TimeIndex.SanityCheck(segment.Size, out string timeProblem))
            return "time index " + timeProblem;
        return null;
    }

    /// <summary>Removes <c>.deleted</c> and <c>.cleaned</c> files and index swaps whose log swap is gone.</summary>
    private static int RemoveLeftovers(string directory, List<string> problems)
    {
        int removed = 0;
        foreach (string path in System.IO.Directory.GetFiles(directory))
        {
            string name = Path.GetFileName(path);
            if (!LogFileNames.TryParseSegmentFile(name, out long baseOffset, out string extension, out string suffix))
                continue;
            bool orphanSwap = suffix == LogFileNames.SwapSuffix && extension != LogFileNames.LogExtension
                && !File.Exists(LogFileNames.LogFile(directory, baseOffset, LogFileNames.SwapSuffix));
            if (suffix is LogFileNames.DeletedSuffix or LogFileNames.CleanedSuffix || orphanSwap)
            {
                File.Delete(path);
                removed++;
                if (suffix != LogFileNames.DeletedSuffix)
                    problems.Add($"removed unfinished {name}");
            }
        }
        return removed;
    }

    /// <summary>
    /// Finishes replacements the cleaner committed (its <c>.log.swap</c> exists) but did not finish renaming:
    /// the old segments whose base offsets fall in the swap segment's offset range are deleted and the swap
    /// files take their final names.
    /// </summary>
    private static int CompleteSwaps(string directory, LogConfig config, long nowMs, StorageBudgets budgets, List<string> problems)
    {
        var swapBases = new List<long>();
        foreach (string path in System.IO.Directory.GetFiles(directory, "*" + LogFileNames.LogExtension + LogFileNames.SwapSuffix))
        {
            if (LogFileNames.TryParseSegmentFile(Path.GetFileName(path), out long baseOffset, out _, out string suffix) && suffix == LogFileNames.SwapSuffix)
                swapBases.Add(baseOffset);
        }
        swapBases.Sort();
        foreach (long swapBase in swapBases)
        {
            LogSegment swap = LogSegment.Open(directory, swapBase, config, nowMs, writable: false, budgets, LogFileNames.SwapSuffix);
            long next;
            try
            {
                swap.Recover(config, out _);
                swap.OnBecomeInactive();
                next = swap.ReadNextOffset();
                foreach (long oldBase in SegmentBases(directory))
                {
                    if (oldBase >= swapBase && oldBase < next)
                        DeleteSegmentFiles(directory, oldBase, "");
                }
                swap.ChangeSuffix("");
            }
            finally
            {
                swap.Dispose();
            }
            problems.Add($"completed the replacement of segments in [{swapBase}, {next}) by a cleaned segment");
        }
        if (swapBases.Count > 0)
            DirectorySync.Flush(directory);
        return swapBases.Count;
    }

    private static List<long> SegmentBases(string directory)
    {
        int ignored = 0;
        return DirectoryListing.Of(directory).SegmentBases(directory, ref ignored);
    }

    /// <summary>The names in a partition directory that opening the log asks about, from one enumeration.</summary>
    private sealed class DirectoryListing
    {
        private readonly SortedSet<long> _logs = [];
        private readonly HashSet<long> _offsetIndexes = [];
        private readonly HashSet<long> _timeIndexes = [];

        public bool CleanShutdownMarker { get; private set; }

        public bool Checkpoint { get; private set; }

        public bool TemporaryCheckpoint { get; private set; }

        public bool EpochCheckpoint { get; private set; }

        public bool TemporaryEpochCheckpoint { get; private set; }

        /// <summary>A <c>.deleted</c>, <c>.cleaned</c> or <c>.swap</c> file: leftovers to remove or a swap to finish.</summary>
        public bool HasSuffixedSegmentFiles { get; private set; }

        public static DirectoryListing Of(string directory)
        {
            var listing = new DirectoryListing();
            // Names as spans, no path string per file; dot files (the marker) included, which the default options skip.
            var names = new FileSystemEnumerable<bool>(directory, (ref FileSystemEntry entry) => listing.Add(entry.FileName),
                new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false })
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory,
            };
            foreach (bool _ in names)
            {
            }
            return listing;
        }

        private bool Add(ReadOnlySpan<char> name)
        {
            if (name.SequenceEqual(LogFileNames.CleanShutdownMarker))
                CleanShutdownMarker = true;
            else if (name.SequenceEqual(LogFileNames.StateCheckpoint))
                Checkpoint = true;
            else if (name.SequenceEqual(LogStateCheckpoint.TemporaryName))
                TemporaryCheckpoint = true;
            else if (name.SequenceEqual(LeaderEpochCheckpoint.FileName))
                EpochCheckpoint = true;
            else if (name.SequenceEqual(LeaderEpochCheckpoint.TemporaryName))
                TemporaryEpochCheckpoint = true;
            else if (name.Length > 20 && name[20] == '.'
                && long.TryParse(name[..20], NumberStyles.None, CultureInfo.InvariantCulture, out long baseOffset))
            {
                ReadOnlySpan<char> rest = name[20..];
                if (rest.SequenceEqual(LogFileNames.LogExtension))
                    _logs.Add(baseOffset);
                else if (rest.SequenceEqual(LogFileNames.OffsetIndexExtension))
                    _offsetIndexes.Add(baseOffset);
                else if (rest.SequenceEqual(LogFileNames.TimeIndexExtension))
                    _timeIndexes.Add(baseOffset);
                else if (rest.StartsWith(LogFileNames.LogExtension) || rest.StartsWith(LogFileNames.OffsetIndexExtension)
                    || rest.StartsWith(LogFileNames.TimeIndexExtension))
                    HasSuffixedSegmentFiles = true;
            }
            return true;
        }

        public bool HasIndexes(long baseOffset) => _offsetIndexes.Contains(baseOffset) && _timeIndexes.Contains(baseOffset);

        /// <summary>Base offsets of live segments (with a <c>.log</c>), sorted; index files without a log are deleted.</summary>
        public List<long> SegmentBases(string directory, ref int removed)
        {
            foreach (long baseOffset in _offsetIndexes)
            {
                if (!_logs.Contains(baseOffset))
                {
                    File.Delete(LogFileNames.OffsetIndexFile(directory, baseOffset));
                    removed++;
                }
            }
            foreach (long baseOffset in _timeIndexes)
            {
                if (!_logs.Contains(baseOffset))
                {
                    File.Delete(LogFileNames.TimeIndexFile(directory, baseOffset));
                    removed++;
                }
            }
            return [.. _logs];
        }
    }

    private static long DeleteSegmentsAfter(string directory, List<long> bases, int index, List<string> problems)
    {
        long bytes = 0;
        for (int later = index + 1; later < bases.Count; later++)
        {
            string log = LogFileNames.LogFile(directory, bases[later]);
            bytes += File.Exists(log) ? new FileInfo(log).Length : 0;
            DeleteSegmentFiles(directory, bases[later], "");
            problems.Add($"deleted {Path.GetFileName(log)}, which followed a cut segment");
        }
        return bytes;
    }

    private static void DeleteSegmentFiles(string directory, long baseOffset, string suffix)
    {
        File.Delete(LogFileNames.LogFile(directory, baseOffset, suffix));
        File.Delete(LogFileNames.OffsetIndexFile(directory, baseOffset, suffix));
        File.Delete(LogFileNames.TimeIndexFile(directory, baseOffset, suffix));
    }
}
