using Gregor.Protocol.Primitives;
using Gregor.Storage;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Replication;

public sealed partial class ReplicaManager
{
    /// <summary>
    /// Before any log is opened: raises the open-file limit to the hard limit (as Kafka's JVM does), sizes the logs'
    /// shared budgets of open files and index mappings from the limits, and loads every assembly the broker may
    /// need, so nothing later needs a descriptor the logs could have taken.
    /// </summary>
    private void PrepareDescriptors()
    {
        OpenFileLimit limit = ProcessLimits.RaiseOpenFileLimit();
        StorageBudgets budgets = StorageBudgets.Shared;
        budgets.FitToProcessLimits();
        int assemblies = AssemblyPreload.LoadReferencedAssemblies();
        _logger.LogInformation(
            "Open files: limit {Soft} (hard {Hard}{Raised}); logs keep at most {OpenFiles} .log files open and {Mappings} index files mapped (vm.max_map_count {MaxMapCount}), closing the least recently used past that; {Assemblies} assemblies preloaded",
            limit.Soft, limit.Hard, limit.Raised ? $", raised from {limit.SoftBefore}" : "", budgets.OpenFiles.Capacity, budgets.Mappings.Capacity,
            ProcessLimits.MaxMapCount(), assemblies);
    }

    /// <summary>
    /// Opens every partition directory under the log dirs with the broker's defaults (the image brings each
    /// topic's own configs), and removes what earlier deletions left behind.
    /// </summary>
    private void OpenExistingLogs()
    {
        TopicSettings defaults = TopicSettings.From(new Dictionary<string, string>(), _config);
        int recovered = 0;
        foreach (string root in _config.LogDirs)
        {
            Directory.CreateDirectory(root);
            // The log dir's marker, written by the last clean stop, says every log in it was closed cleanly (Kafka's layout).
            string marker = Path.Combine(root, LogFileNames.CleanShutdownMarker);
            bool closedCleanly = File.Exists(marker);
            List<(TopicPartition Id, string Directory)> found = FindLogs(root);
            // Opening is mostly waiting on the file system, so num.recovery.threads.per.data.dir logs open at once.
            var opened = new OpenedLog[found.Count];
            Parallel.For(0, found.Count, new ParallelOptions { MaxDegreeOfParallelism = RecoveryThreadsPerDataDir },
                index => opened[index] = TryOpen(found[index].Directory, defaults, closedCleanly));
            for (int index = 0; index < found.Count; index++)
            {
                HostedPartition? hosted = Register(found[index].Id, root, found[index].Directory, opened[index], defaults);
                if (hosted is not null && WasRecovered(hosted.Log.Recovery))
                    recovered++;
            }
            if (closedCleanly)
            {
                // Gone (durably) before any log changes: a crash from here on must not find it.
                File.Delete(marker);
                DirectorySync.Flush(root);
            }
        }
        if (recovered > 0)
            _logger.LogWarning("{Count} logs were not closed cleanly and were recovered", recovered);
    }

    /// <summary>The partition directories of a log dir; removes what earlier deletions left behind.</summary>
    private List<(TopicPartition Id, string Directory)> FindLogs(string root)
    {
        var found = new List<(TopicPartition, string)>();
        foreach (string directory in Directory.EnumerateDirectories(root))
        {
            string name = Path.GetFileName(directory);
            // The metadata log is a partition log too, but the control plane owns it: one writer per log.
            if (name == Gregor.Metadata.MetadataLog.DirectoryName)
                continue;
            if (name.EndsWith(DeleteDirectorySuffix, StringComparison.Ordinal))
            {
                DeleteInBackground(directory);
                continue;
            }
            if (name.EndsWith(StrayDirectorySuffix, StringComparison.Ordinal) || name.EndsWith(FutureDirectorySuffix, StringComparison.Ordinal)
                || !LogFileNames.TryParsePartitionDirectoryName(name, out string topic, out int partition))
            {
                continue;
            }
            var id = new TopicPartition(topic, partition);
            if (_partitions.TryGetValue(id, out HostedPartition? duplicate))
            {
                throw new InvalidOperationException(
                    $"Partition {id} has a log in two log dirs ({duplicate.LogDirectory} and {root}); remove one before starting.");
            }
            found.Add((id, directory));
        }
        return found;
    }

    /// <summary>A log opened (or not, and why) off the lifecycle lock, before it is registered under it.</summary>
    private readonly record struct OpenedLog(PartitionLog? Log, KafkaUuid TopicId, Exception? Error);

    private OpenedLog TryOpen(string directory, TopicSettings settings, bool closedCleanly, KafkaUuid? topicId = null)
    {
        try
        {
            KafkaUuid id = topicId ?? PartitionMetadataFile.TryRead(directory) ?? KafkaUuid.Zero;
            return new OpenedLog(PartitionLog.Open(directory, settings.Log, Time, closedCleanly: closedCleanly, producerState: ProducerState), id, null);
        }
        catch (Exception error) when (error is IOException or StorageException or UnauthorizedAccessException)
        {
            return new OpenedLog(null, KafkaUuid.Zero, error);
        }
    }

    private HostedPartition? OpenLog(TopicPartition id, string root, string directory, KafkaUuid topicId, TopicSettings settings) =>
        Register(id, root, directory, TryOpen(directory, settings, closedCleanly: false, topicId), settings);

    private HostedPartition? Register(TopicPartition id, string root, string directory, OpenedLog opened, TopicSettings settings)
    {
        if (opened.Log is not PartitionLog log)
        {
            // Kafka would take the log dir offline; the partition is left unserved here and the error says why.
            _logger.LogError(opened.Error, "Could not open log {Directory}; the partition is not served", directory);
            _unopenable.Add(id);
            // Its state is unknown: the log dir must not be marked clean over it at the next stop.
            _rootsNotToMarkClean.Add(root);
            return null;
        }
        RecoveryReport report = log.Recovery;
        if (WasRecovered(report))
        {
            _logger.LogWarning("Recovered log {Partition}: {Recovered} segments rescanned, {Truncated} bytes truncated, {Rebuilt} indexes rebuilt",
                id, report.SegmentsRecovered, report.BytesTruncated, report.IndexesRebuilt);
        }
        var hosted = new HostedPartition(id, opened.TopicId, root, log, settings, NodeId) { Manager = this };
        _partitions[id] = hosted;
        _logsPerRoot[root] = _logsPerRoot.GetValueOrDefault(root) + 1;
        if (settings.Log.Compact)
            EnsureCleaner().Register(log);
        else
            _cleaner?.Register(log);
        return hosted;
    }

    // A log with no clean-shutdown marker and nothing to scan (a new one) was not recovered from anything.
    private static bool WasRecovered(RecoveryReport report) =>
        !report.HadCleanShutdown && (report.SegmentsRecovered > 0 || report.BytesTruncated > 0 || report.IndexesRebuilt > 0 || report.Problems.Count > 0);

    /// <summary>Creates the log of a partition newly placed here, in the log dir holding the fewest partitions.</summary>
    private HostedPartition? CreateLog(TopicPartition id, KafkaUuid topicId, TopicSettings settings)
    {
        string root = ChooseLogDirectory();
        string directory = Path.Combine(root, LogFileNames.PartitionDirectoryName(id.Topic, id.Partition));
        try
        {
            Directory.CreateDirectory(directory);
            PartitionMetadataFile.Write(directory, topicId);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(error, "Could not create log {Directory}", directory);
            return null;
        }
        HostedPartition? hosted = OpenLog(id, root, directory, topicId, settings);
        if (hosted is not null)
            _logger.LogInformation("Created log {Partition} in {Root}", id, root);
        return hosted;
    }

    private void AdoptTopicId(HostedPartition hosted, KafkaUuid topicId)
    {
        try
        {
            PartitionMetadataFile.Write(hosted.Log.Directory, topicId);
            hosted.TopicId = topicId;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(error, "Could not write {File} of log {Partition}", PartitionMetadataFile.FileName, hosted.Id);
        }
    }

    /// <summary>The log dir holding the fewest logs (counted as logs come and go: counting them per new log made creating many quadratic).</summary>
    private string ChooseLogDirectory()
    {
        IReadOnlyList<string> roots = _config.LogDirs;
        string best = roots[0];
        foreach (string root in roots)
        {
            if (_logsPerRoot.GetValueOrDefault(root) < _logsPerRoot.GetValueOrDefault(best))
                best = root;
        }
        return best;
    }

    /// <summary>
    /// Stops serving the partition, closes its log, renames the directory to <c>&lt;name&gt;.&lt;id&gt;-delete</c>
    /// (one rename: a crash leaves a directory the next start deletes, never a half-deleted log that looks live)
    /// and removes it in the background.
    /// </summary>
    private void Delete(HostedPartition hosted)
    {
        // The directory is about to go: nothing of it needs to be durable.
        if (Retire(hosted, DeleteDirectorySuffix, durable: false, "Could not delete log {Directory}") is { } renamed)
            DeleteInBackground(renamed);
    }

    /// <summary>
    /// A stray log, as Kafka calls it: found on disk with a topic id, but the first image since start places no replica
    /// of it here (its topic was deleted, or recreated under a new id elsewhere, while this broker was down). It stops
    /// being held open and its directory is renamed to <c>&lt;name&gt;.&lt;id&gt;-stray</c>, which no start opens again;
    /// as Kafka does, the data is moved aside rather than deleted, for an operator to remove.
    /// </summary>
    private void MoveAside(HostedPartition hosted, long offset)
    {
        if (Retire(hosted, StrayDirectorySuffix, durable: true, "Could not move stray log {Directory} aside") is { } renamed)
            _logger.LogWarning("Log {Partition} of topic id {TopicId} is stray: metadata offset {Offset} places no replica of it here; moved aside to {Directory}",
                hosted.Id, hosted.TopicId, offset, renamed);
    }

    /// <summary>
    /// Stops serving the partition, closes its log and renames its directory to <c>&lt;name&gt;.&lt;random id&gt;&lt;suffix&gt;</c>
    /// in one step; <paramref name="durable"/> flushes the log and the rename. Returns the new directory, or null when the
    /// close or rename failed (logged with <paramref name="failure"/>).
    /// </summary>
    private string? Retire(HostedPartition hosted, string suffix, bool durable, string failure)
    {
        if (_partitions.TryRemove(hosted.Id, out _))
            _logsPerRoot[hosted.LogDirectory]--;
        hosted.MarkRemoved();
        PartitionChanged?.Invoke(hosted);
        _cleaner?.Unregister(hosted.Log);
        string directory = hosted.Log.Directory;
        try
        {
            hosted.Log.CloseWithoutMarker(durable);
            string renamed = directory + "." + Guid.NewGuid().ToString("N") + suffix;
            Directory.Move(directory, renamed);
            if (durable) DirectorySync.Flush(hosted.LogDirectory);
            return renamed;
        }
        catch (Exception error) when (error is IOException or StorageException or UnauthorizedAccessException)
        {
#pragma warning disable CA2254 // the templates are this class's constant strings
            _logger.LogError(error, failure, directory);
#pragma warning restore CA2254
            return null;
        }
    }

    private void DeleteInBackground(string directory)
    {
        Task deletion = Task.Run(() =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                _logger.LogError(error, "Could not remove deleted log directory {Directory}; the next start retries", directory);
            }
        });
        lock (_deletions)
        {
            _deletions.RemoveAll(task => task.IsCompleted);
            _deletions.Add(deletion);
        }
    }
}
