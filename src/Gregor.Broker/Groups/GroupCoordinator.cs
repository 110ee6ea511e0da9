using Gregor.Broker.Configuration;
using Gregor.Broker.Replication;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gregor.Broker.Groups;

/// <summary>
/// The classic group coordinator (JoinGroup / SyncGroup / Heartbeat / LeaveGroup and committed offsets) for the
/// <c>__consumer_offsets</c> partitions this broker leads. A state machine without sockets or threads: time comes
/// from the <see cref="TimeProvider"/>, deadlines are acted on when <see cref="Poll"/> runs, records go through
/// <see cref="IGroupLog"/>. JoinGroup and SyncGroup answers that must wait for other members are tasks completed
/// later by another member's request or by <see cref="Poll"/>. One lock guards everything.
/// </summary>
public sealed partial class GroupCoordinator
{
    /// <summary>Kafka's limit on the metadata string of a committed offset (<c>offset.metadata.max.bytes</c>).</summary>
    public const int MaxOffsetMetadataLength = 4096;

    /// <summary>How long a member that joined but never completed a join phase is kept (Kafka: 5 minutes).</summary>
    public const int NewMemberJoinTimeoutMs = 300_000;

    private readonly object _gate = new();
    private readonly GroupCoordinatorConfig _config;
    private readonly IGroupLog _log;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random? _random;
    private readonly Dictionary<string, ClassicGroup> _groups = new(StringComparer.Ordinal);
    /// <summary>The offsets partitions led here: true once loaded, false while loading.</summary>
    private readonly Dictionary<int, bool> _owned = [];
    private int _partitionCount;

    /// <param name="random">Where member ids come from; a seeded one makes a run repeatable. Unset: fresh UUIDs.</param>
    public GroupCoordinator(GroupCoordinatorConfig config, IGroupLog log, TimeProvider time, ILogger<GroupCoordinator>? logger = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        _config = config;
        _log = log;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _random = random;
        _partitionCount = config.OffsetsTopicNumPartitions;
    }

    /// <summary>A member id as Kafka forms it: the client id, a dash, a UUID.</summary>
    private string NewMemberId(string clientId)
    {
        if (_random is null) return clientId + "-" + Guid.NewGuid().ToString("D");
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (Guid's little-endian field layout)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return clientId + "-" + new Guid(bytes).ToString("D");
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The partitions of <c>__consumer_offsets</c> as it exists (the setting applies only when it is created).</summary>
    public int PartitionCount
    {
        get { lock (_gate) return _partitionCount; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (_gate) _partitionCount = value;
        }
    }

    public int PartitionFor(string groupId) => OffsetsTopic.PartitionFor(groupId, PartitionCount);

    /// <summary>The partitions this coordinator owns (loaded or loading).</summary>
    public IReadOnlyCollection<int> OwnedPartitions
    {
        get { lock (_gate) return _owned.Keys.ToList(); }
    }

    /// <summary>Marks the partition as being loaded: its groups answer COORDINATOR_LOAD_IN_PROGRESS until <see cref="LoadPartition"/>.</summary>
    public void BeginLoading(int partition)
    {
        lock (_gate) _owned.TryAdd(partition, false);
    }

    /// <summary>Rebuilds the partition's groups and offsets from its records and starts serving them.</summary>
    public void LoadPartition(int partition)
    {
        BeginLoading(partition);
        // Read outside the lock: other partitions keep being served meanwhile.
        var offsets = new Dictionary<(string Group, TopicPartition Partition), CommittedOffset>();
        var groups = new Dictionary<string, StoredGroup>(StringComparer.Ordinal);
        int unreadable = 0;
        foreach (GroupLogRecord record in _log.ReadAll(partition))
        {
            try
            {
                var key = GroupRecords.ReadKey(record.Key);
                if (key is not { } k) continue;
                if (k.Type == GroupRecords.OffsetCommitKeyType)
                {
                    var id = (k.Group, new TopicPartition(k.Topic, k.Partition));
                    if (record.Value is null) offsets.Remove(id);
                    else offsets[id] = GroupRecords.ReadOffsetValue(record.Value);
                }
                else
                {
                    if (record.Value is null) groups.Remove(k.Group);
                    else groups[k.Group] = GroupRecords.ReadGroupValue(record.Value);
                }
            }
            catch (MalformedMessageException)
            {
                // One bad record must not keep the partition's other groups loading for ever.
                unreadable++;
            }
        }
        if (unreadable > 0)
            _logger.LogWarning("{Topic} partition {Partition}: skipped {Count} unreadable record(s) while loading", OffsetsTopic.Name, partition, unreadable);
        lock (_gate)
        {
            if (!_owned.ContainsKey(partition))
                return; // unloaded meanwhile
            long now = NowMs;
            foreach (var (groupId, stored) in groups)
                _groups[groupId] = Restore(groupId, partition, stored, now);
            foreach (var ((groupId, tp), offset) in offsets)
            {
                if (!_groups.TryGetValue(groupId, out ClassicGroup? group))
                    _groups[groupId] = group = new ClassicGroup(groupId, partition, now);
                group.Offsets[tp] = offset;
            }
            _owned[partition] = true;
        }
        _logger.LogInformation("Loaded {Groups} groups and {Offsets} committed offsets from {Topic}-{Partition}",
            groups.Count, offsets.Count, OffsetsTopic.Name, partition);
    }

    private static ClassicGroup Restore(string groupId, int partition, StoredGroup stored, long now)
    {
        var group = new ClassicGroup(groupId, partition, now)
        {
            ProtocolType = stored.ProtocolType.Length == 0 ? null : stored.ProtocolType,
            ProtocolName = stored.ProtocolName,
            GenerationId = stored.Generation,
        };
        foreach (StoredMember m in stored.Members)
        {
            group.Add(new GroupMember(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost)
            {
                SessionTimeoutMs = m.SessionTimeoutMs,
                RebalanceTimeoutMs = m.RebalanceTimeoutMs,
                ProtocolType = stored.ProtocolType,
                Protocols = [(stored.ProtocolName ?? "", m.Subscription)],
                Assignment = m.Assignment,
                // A loaded member has one session timeout from now to show it is still there.
                LastHeartbeatMs = now,
            });
        }
        group.LeaderId = stored.Leader is not null && group.Members.ContainsKey(stored.Leader) ? stored.Leader : group.Members.Keys.FirstOrDefault();
        group.TransitionTo(group.IsEmpty ? GroupState.Empty : GroupState.Stable, now);
        if (stored.StateTimestampMs >= 0)
            group.StateTimestampMs = stored.StateTimestampMs;
        group.SubscribedTopics = group.ComputeSubscribedTopics();
        return group;
    }

    /// <summary>Stops serving the partition (its leadership moved): its groups are dropped, waiting members told NOT_COORDINATOR.</summary>
    public void UnloadPartition(int partition)
    {
        lock (_gate)
        {
            if (!_owned.Remove(partition)) return;
            foreach (ClassicGroup group in _groups.Values.Where(g => g.Partition == partition).ToList())
            {
                foreach (GroupMember m in group.Members.Values)
                {
                    m.AwaitingJoin?.TrySetResult(JoinGroupResult.Failed(ErrorCode.NotCoordinator, m.MemberId));
                    m.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(ErrorCode.NotCoordinator));
                }
                _groups.Remove(group.GroupId);
            }
        }
    }

    /// <summary>Whether this coordinator serves the group now; the error to answer if not. Call under the lock.</summary>
    private ErrorCode CheckCoordinator(string? groupId, out int partition)
    {
        partition = -1;
        if (string.IsNullOrEmpty(groupId))
            return ErrorCode.InvalidGroupId;
        partition = OffsetsTopic.PartitionFor(groupId, _partitionCount);
        if (!_owned.TryGetValue(partition, out bool loaded))
            return ErrorCode.NotCoordinator;
        return loaded ? ErrorCode.None : ErrorCode.CoordinatorLoadInProgress;
    }

    private ClassicGroup GetOrCreate(string groupId, int partition)
    {
        if (!_groups.TryGetValue(groupId, out ClassicGroup? group))
            _groups[groupId] = group = new ClassicGroup(groupId, partition, NowMs);
        return group;
    }

    /// <summary>Writes the group's metadata. None once written; else the error as a coordinator reports it.</summary>
    private ErrorCode StoreGroup(ClassicGroup group)
    {
        var stored = new StoredGroup(group.ProtocolType ?? "", group.GenerationId, group.ProtocolName,
            group.LeaderId, group.StateTimestampMs,
            group.Members.Values.Select(m => new StoredMember(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                m.RebalanceTimeoutMs, m.SessionTimeoutMs, m.MetadataFor(group.ProtocolName), m.Assignment)).ToList());
        ErrorCode error = _log.Append(group.Partition, [new GroupLogRecord(GroupRecords.GroupKey(group.GroupId), GroupRecords.GroupValue(stored))], NowMs);
        return error == ErrorCode.None ? ErrorCode.None : StoreError(error, forOffsets: false);
    }

    /// <summary>Kafka's translation of a failed append into what the group's client should see.</summary>
    private static ErrorCode StoreError(ErrorCode appendError, bool forOffsets) => appendError switch
    {
        ErrorCode.UnknownTopicOrPartition or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
            or ErrorCode.RequestTimedOut => ErrorCode.CoordinatorNotAvailable,
        ErrorCode.NotLeaderOrFollower or ErrorCode.KafkaStorageError => ErrorCode.NotCoordinator,
        ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidFetchSize =>
            forOffsets ? ErrorCode.InvalidCommitOffsetSize : ErrorCode.UnknownServerError,
        _ => forOffsets ? appendError : ErrorCode.UnknownServerError,
    };

    /// <summary>A snapshot for tests and tools: the group's state, generation and members (null when unknown).</summary>
    public (GroupState State, int Generation, string? Leader, string? Protocol, IReadOnlyList<string> Members)? Inspect(string groupId)
    {
        lock (_gate)
        {
            if (!_groups.TryGetValue(groupId, out ClassicGroup? g)) return null;
            return (g.State, g.GenerationId, g.LeaderId, g.ProtocolName, g.Members.Keys.ToList());
        }
    }
}
