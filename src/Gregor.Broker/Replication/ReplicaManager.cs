using System.Collections.Concurrent;
using Gregor.Broker.Configuration;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;
using Gregor.Storage;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Replication;

/// <summary>
/// Owns the partition logs under <c>log.dirs</c>, in Kafka's layout (<c>&lt;dir&gt;/&lt;topic&gt;-&lt;partition&gt;</c>),
/// and keeps them in step with the metadata image: it opens a log for each partition this broker is a replica
/// of, applies topic config changes to open logs, and deletes the logs of deleted topics (renamed to
/// <c>&lt;topic&gt;-&lt;partition&gt;.&lt;id&gt;-delete</c>, removed in the background, as Kafka does). Logs found at
/// start that the first image places nowhere here are stray and moved aside (<c>-stray</c>), as Kafka does too.
/// </summary>
public sealed partial class ReplicaManager : IDisposable
{
    internal const string DeleteDirectorySuffix = "-delete";
    internal const string StrayDirectorySuffix = "-stray";
    internal const string FutureDirectorySuffix = "-future";

    private readonly BrokerConfig _config;
    private readonly IMetadataView _metadata;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TopicPartition, HostedPartition> _partitions = new();
    private readonly object _lifecycle = new();
    private readonly List<Task> _deletions = [];
    // Logs on disk that would not open: never recreated over, so an operator can inspect and repair them.
    private readonly HashSet<TopicPartition> _unopenable = [];
    // Logs per log dir, for placing new ones; changed under _lifecycle.
    private readonly Dictionary<string, int> _logsPerRoot = new(StringComparer.Ordinal);
    // Log dirs holding a log that would not open or did not close: never marked clean as a whole.
    private readonly HashSet<string> _rootsNotToMarkClean = new(StringComparer.Ordinal);
    private LogCleaner? _cleaner;
    private bool _started;
    private bool _opened;
    private bool _stopped;

    public ReplicaManager(BrokerConfig config, IMetadataView metadata, TimeProvider time, ILogger<ReplicaManager> logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _config = config;
        _metadata = metadata;
        _logger = logger;
        Time = time;
        RetentionCheckInterval = TimeSpan.FromMilliseconds(config.LogRetentionCheckIntervalMs);
        RecoveryThreadsPerDataDir = config.NumRecoveryThreadsPerDataDir;
        ProducerState = new ProducerStateConfig(config.ProducerIdExpirationMs, config.ProducerStateMaxEntries);
        SessionLease = new BrokerSessionLease(time);
    }

    private KafkaUuid? _incarnation;

    /// <summary>
    /// Makes this broker lead only as the process the image shows registered (<paramref name="incarnation"/>, a broker of a
    /// cluster). A broker restarted before the controller has noticed its death reads an image in which its previous
    /// incarnation still leads at an epoch that incarnation was given; leading at that epoch with a log that lost its
    /// unflushed tail would tell the followers to truncate records the ISR had committed. The controller registers the
    /// new incarnation only once the old one's session has expired and its leaderships have moved, so an image showing
    /// this incarnation gives it leaderships only at epochs of its own.
    /// </summary>
    public KafkaUuid RequireRegistrationAs(KafkaUuid incarnation)
    {
        _incarnation = incarnation;
        return incarnation;
    }

    /// <summary>Whether the leaderships <paramref name="image"/> gives this node are this process's to take.</summary>
    internal bool MayLead(MetadataImage image) =>
        _incarnation is not { } own || (image.Brokers.TryGetValue(NodeId, out BrokerRegistration? registered) && registered.IncarnationId == own);

    /// <summary>This broker's session with the controller as far as it can tell (renewed by its heartbeats).</summary>
    public BrokerSessionLease SessionLease { get; }

    /// <summary>The producer-state expiry and cap every log of this broker shares.</summary>
    public ProducerStateConfig ProducerState { get; }

    public int NodeId => _config.NodeId;

    /// <summary>The broker epoch the controller gave this broker (-1 before it registered): a clean stop writes it in the marker.</summary>
    public long BrokerEpoch
    {
        get => Interlocked.Read(ref _brokerEpoch);
        set => Interlocked.Exchange(ref _brokerEpoch, value);
    }

    private long _brokerEpoch = -1;

    public TimeProvider Time { get; }

    public IMetadataView Metadata => _metadata;

    public BrokerConfig Config => _config;

    /// <summary>How often <see cref="RunMaintenance"/> runs (<c>log.retention.check.interval.ms</c>).</summary>
    public TimeSpan RetentionCheckInterval { get; }

    /// <summary>Logs of one log dir opened at once at start (<c>num.recovery.threads.per.data.dir</c>).</summary>
    public int RecoveryThreadsPerDataDir { get; }

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Raised for each hosted partition after an image was applied to it, and for each partition removed (in metadata
    /// order, on the publishing thread): the replica fetchers follow leadership through it.
    /// </summary>
    public event Action<HostedPartition>? PartitionChanged;

    /// <summary>
    /// Where leaders send the ISR changes they ask for (AlterPartition to the controller); null on a single node, whose
    /// partitions have no followers, and then no change is asked.
    /// </summary>
    internal Action<HostedPartition, IsrChange>? IsrChangeSink { get; set; }

    /// <summary>Every hosted partition, including logs found on disk that no image has named yet.</summary>
    public ICollection<HostedPartition> Partitions => _partitions.Values;

    /// <summary>
    /// The partition as the current image knows it, or null when this broker hosts no replica of it (or the
    /// image does not have it: a log on disk of a topic the metadata has not named is not served).
    /// </summary>
    public HostedPartition? GetPartition(string topic, int partition) =>
        _partitions.TryGetValue(new TopicPartition(topic, partition), out HostedPartition? hosted) && hosted.State is not null && !hosted.IsRemoved
            ? hosted
            : null;

    /// <summary>
    /// The error for a partition <see cref="GetPartition"/> does not serve: NOT_LEADER_OR_FOLLOWER when the metadata
    /// has it (another broker holds it, or this one has not opened it yet: the client refreshes and re-routes), else
    /// UNKNOWN_TOPIC_OR_PARTITION.
    /// </summary>
    public Protocol.ErrorCode NotServedError(string topic, int partition) =>
        _metadata.Current.TopicsByName.TryGetValue(topic, out TopicImage? known) && partition >= 0 && partition < known.Partitions.Length
            ? Protocol.ErrorCode.NotLeaderOrFollower
            : Protocol.ErrorCode.UnknownTopicOrPartition;

    /// <summary>
    /// Opens the logs already on disk (recovering those not closed cleanly), removes the leftovers of earlier
    /// deletions, then follows the metadata image from its current state on.
    /// </summary>
    public void Start()
    {
        lock (_lifecycle)
        {
            if (_started)
                throw new InvalidOperationException("The replica manager has already started.");
            _started = true;
            long startMs = NowMs;
            PrepareDescriptors();
            OpenExistingLogs();
            _logger.LogInformation("Loaded {Count} partition logs ({Bytes} bytes) from {Dirs} in {Ms} ms",
                _partitions.Count, _partitions.Values.Sum(p => p.Log.Size), string.Join(",", _config.LogDirs), NowMs - startMs);
            // Subscribed before the current image is applied, so no image published meanwhile is missed: its
            // callback waits for this lock, and applying an image twice changes nothing.
            _metadata.Subscribe(OnImagePublished);
            Apply(null, _metadata.Current);
            Volatile.Write(ref _opened, true);
        }
    }

    /// <summary>Whether <see cref="Start"/> has finished: the logs on disk are open and the image is followed.</summary>
    public bool IsStarted => Volatile.Read(ref _opened);

    private void OnImagePublished(MetadataImage previous, MetadataImage next)
    {
        lock (_lifecycle)
        {
            if (_stopped)
                return;
            Apply(previous, next);
        }
    }

    /// <summary>
    /// Brings the hosted logs in line with <paramref name="next"/>: creates the missing ones, updates state
    /// and configs, and deletes those of topics that are gone (or that no longer place a replica here).
    /// </summary>
    private void Apply(MetadataImage? previous, MetadataImage next)
    {
        var wanted = new HashSet<TopicPartition>();
        bool mayLead = MayLead(next);
        foreach (TopicImage topic in next.TopicsByName.Values)
        {
            TopicImage? before = previous?.Topic(topic.Id);
            TopicSettings? settings = null;
            foreach (PartitionImage partition in topic.Partitions)
            {
                if (!partition.Replicas.Contains(NodeId))
                    continue;
                var id = new TopicPartition(topic.Name, partition.Partition);
                wanted.Add(id);
                if (_partitions.TryGetValue(id, out HostedPartition? hosted) && !hosted.TopicId.IsZero && hosted.TopicId != topic.Id)
                {
                    // The name's earlier topic was deleted (perhaps while this broker was down): its data is not this topic's.
                    _logger.LogInformation("Deleting log {Partition} of an earlier topic {OldId}; the topic is now {NewId}", id, hosted.TopicId, topic.Id);
                    Delete(hosted);
                    hosted = null;
                }
                if (hosted is null)
                {
                    if (_unopenable.Contains(id))
                        continue;
                    hosted = CreateLog(id, topic.Id, settings ??= SettingsFor(topic));
                    if (hosted is null)
                        continue;
                }
                else
                {
                    if (hosted.TopicId.IsZero)
                        AdoptTopicId(hosted, topic.Id);
                    if (before is null || !ReferenceEquals(before.Configs, topic.Configs) || hosted.State is null)
                        ApplySettings(hosted, settings ??= SettingsFor(topic));
                }
                hosted.UpdateState(partition, NowMs, mayLead);
                PartitionChanged?.Invoke(hosted);
            }
        }
        // The first image published since start is the whole metadata as of then (a broker of a cluster publishes only
        // once caught up with the quorum): what it does not place here was deleted or moved while this broker was down.
        bool firstImage = (previous is null || previous.Offset < 0) && next.Offset >= 0;
        foreach (HostedPartition hosted in _partitions.Values)
        {
            if (wanted.Contains(hosted.Id))
                continue;
            // Known from an image and now gone, or found on disk with the id of a topic this change deleted.
            bool wasServed = hosted.State is not null;
            bool deletedNow = previous is not null && !hosted.TopicId.IsZero && previous.Topic(hosted.TopicId) is not null
                && next.Topic(hosted.TopicId) is null;
            if (wasServed || deletedNow)
            {
                _logger.LogInformation("Deleting log {Partition}: no replica here in metadata offset {Offset}", hosted.Id, next.Offset);
                Delete(hosted);
            }
            else if (firstImage && !hosted.TopicId.IsZero)
            {
                MoveAside(hosted, next.Offset);
            }
        }
    }

    private TopicSettings SettingsFor(TopicImage topic)
    {
        try
        {
            return TopicSettings.From(topic.Configs, _config);
        }
        catch (InvalidLogConfigException error)
        {
            // The controller validates configs, so this is a value this broker reads differently; keep serving with what it had.
            _logger.LogError("Topic {Topic} has a config this broker cannot use ({Error}); its logs keep their previous settings", topic.Name, error.Message);
            return _partitions.Values.FirstOrDefault(p => p.TopicId == topic.Id)?.Settings ?? TopicSettings.From(new Dictionary<string, string>(), _config);
        }
    }

    private void ApplySettings(HostedPartition hosted, TopicSettings settings)
    {
        if (ReferenceEquals(hosted.Settings, settings) || hosted.Settings.Log == settings.Log && hosted.Settings.MinInsyncReplicas == settings.MinInsyncReplicas
            && hosted.Settings.TimestampAfterMaxMs == settings.TimestampAfterMaxMs && hosted.Settings.TimestampBeforeMaxMs == settings.TimestampBeforeMaxMs)
        {
            return;
        }
        hosted.UpdateSettings(settings);
        if (settings.Log.Compact)
            EnsureCleaner().Register(hosted.Log);
        _logger.LogInformation("Applied new config to log {Partition}", hosted.Id);
    }

    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    /// <summary>Stops following metadata, stops the cleaner, and closes every log cleanly (flush, checkpoint, clean-shutdown marker).</summary>
    public async Task StopAsync()
    {
        LogCleaner? cleaner;
        lock (_lifecycle)
        {
            if (_stopped)
                return;
            _stopped = true;
            cleaner = _cleaner;
        }
        if (cleaner is not null)
        {
            await cleaner.StopAsync().ConfigureAwait(false);
            cleaner.Dispose();
        }
        lock (_lifecycle)
        {
            long startMs = NowMs;
            int marked = CloseAllLogs();
            _logger.LogInformation("Closed {Count} partition logs in {Ms} ms; {Marked} of {Dirs} log dirs marked cleanly shut down",
                _partitions.Count, NowMs - startMs, marked, _config.LogDirs.Count);
            _partitions.Clear();
        }
        await WhenDeletionsDone().ConfigureAwait(false);
    }

    /// <summary>
    /// Closes every log with no fsync of its own, syncs each log dir's file system once, then marks each log dir
    /// cleanly shut down with one marker file, as Kafka does — rather than several fsyncs and a marker file a log,
    /// which at 100,000 partitions took minutes. A log dir with a log that did not close (or would not open) gets no
    /// marker, and its logs are recovered from their recovery points on the next start. Returns the dirs marked.
    /// </summary>
    private int CloseAllLogs()
    {
        foreach (HostedPartition hosted in _partitions.Values)
        {
            hosted.MarkRemoved();
            try
            {
                hosted.Log.CloseWithoutMarker(durable: false);
            }
            catch (Exception error) when (error is IOException or StorageException or UnauthorizedAccessException)
            {
                _logger.LogError(error, "Closing log {Partition} failed; it will be recovered on the next start", hosted.Id);
                _rootsNotToMarkClean.Add(hosted.LogDirectory);
            }
        }
        if (!SyncLogDirs())
            return 0;
        int marked = 0;
        foreach (string root in _config.LogDirs)
        {
            if (_rootsNotToMarkClean.Contains(root))
                continue;
            try
            {
                File.WriteAllBytes(Path.Combine(root, LogFileNames.CleanShutdownMarker), CleanShutdownFile.Content(BrokerEpoch));
                DirectorySync.Flush(root);
                marked++;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                _logger.LogError(error, "Marking log dir {Root} cleanly shut down failed; its logs will be recovered on the next start", root);
            }
        }
        return marked;
    }

    private bool SyncLogDirs()
    {
        foreach (string root in _config.LogDirs)
        {
            try
            {
                DirectorySync.SyncFileSystem(root);
            }
            catch (IOException error)
            {
                _logger.LogError(error, "Syncing log dir {Root} failed; its logs will be recovered on the next start", root);
                return false;
            }
        }
        return true;
    }

    /// <summary>Completes when the background removal of deleted logs' directories has finished.</summary>
    public Task WhenDeletionsDone()
    {
        lock (_deletions)
            return Task.WhenAll(_deletions.ToArray());
    }

    /// <summary>
    /// The periodic log chores (Kafka runs them every log.retention.check.interval.ms): retention by time and
    /// size, removal of deleted segments' files, the flush.ms deadline, and expiry of idle producers' state.
    /// Compaction runs in the cleaner's own loop; segment.ms rolls happen on append, as in Kafka.
    /// </summary>
    public void RunMaintenance()
    {
        foreach (HostedPartition hosted in _partitions.Values)
        {
            if (hosted.IsRemoved)
                continue;
            try
            {
                hosted.Log.RunMaintenance();
                hosted.ExpireProducers();
            }
            catch (LogClosedException)
            {
                // Deleted or closed meanwhile.
            }
            catch (Exception error) when (error is IOException or StorageException or UnauthorizedAccessException)
            {
                _logger.LogError(error, "Maintenance of log {Partition} failed", hosted.Id);
            }
        }
    }

    private LogCleaner EnsureCleaner()
    {
        if (_cleaner is not null)
            return _cleaner;
        var cleaner = new LogCleaner(Time, backoff: TimeSpan.FromMilliseconds(_config.LogCleanerBackoffMs));
        cleaner.CleaningFailed += (log, error) => _logger.LogError(error, "Compacting log {Directory} failed", log.Directory);
        foreach (HostedPartition hosted in _partitions.Values)
            cleaner.Register(hosted.Log);
        if (!_stopped)
            cleaner.Start();
        _cleaner = cleaner;
        return cleaner;
    }
}
