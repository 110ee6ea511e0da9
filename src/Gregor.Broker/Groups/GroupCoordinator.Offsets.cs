using Gregor.Broker.Replication;
using Gregor.Protocol;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Groups;

public sealed partial class GroupCoordinator
{
    /// <summary>
    /// OffsetCommit: by a member of the current generation, or (generation -1) a standalone commit to an empty or new
    /// group. The offsets are appended to the group's partition before the answer; one error for all when that fails.
    /// </summary>
    public IReadOnlyList<(OffsetToCommit Offset, ErrorCode Error)> CommitOffsets(OffsetCommitArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        lock (_gate)
        {
            ErrorCode error = ValidateCommit(args, out ClassicGroup? group);
            if (error != ErrorCode.None)
                return args.Offsets.Select(o => (o, error)).ToList();
            long now = NowMs;
            var results = new List<(OffsetToCommit, ErrorCode)>(args.Offsets.Count);
            var records = new List<GroupLogRecord>(args.Offsets.Count);
            var accepted = new List<(TopicPartition, CommittedOffset)>(args.Offsets.Count);
            foreach (OffsetToCommit o in args.Offsets)
            {
                if (o.Metadata is { Length: > MaxOffsetMetadataLength })
                {
                    results.Add((o, ErrorCode.OffsetMetadataTooLarge));
                    continue;
                }
                var committed = new CommittedOffset(o.Offset, o.LeaderEpoch, o.Metadata ?? "", now);
                records.Add(new GroupLogRecord(GroupRecords.OffsetKey(args.GroupId, o.Topic, o.Partition), GroupRecords.OffsetValue(committed)));
                accepted.Add((new TopicPartition(o.Topic, o.Partition), committed));
                results.Add((o, ErrorCode.None));
            }
            if (records.Count == 0)
                return results;
            ErrorCode appended = _log.Append(group!.Partition, records, now);
            if (appended != ErrorCode.None)
            {
                ErrorCode reported = StoreError(appended, forOffsets: true);
                return results.Select(r => (r.Item1, r.Item2 == ErrorCode.None ? reported : r.Item2)).ToList();
            }
            foreach (var (tp, committed) in accepted)
                group.Offsets[tp] = committed;
            return results;
        }
    }

    /// <summary>
    /// Kafka's order of checks: who is committing (member, instance, generation) before the group's
    /// state, so a member of an older generation hears ILLEGAL_GENERATION even mid-rebalance; a
    /// current member between JoinGroup and SyncGroup hears REBALANCE_IN_PROGRESS (and commits freely
    /// while the group is only preparing to rebalance, so cooperative members keep their progress).
    /// A commit without member id and generation is an offsets-only commit, taken from an empty group only.
    /// </summary>
    private ErrorCode ValidateCommit(OffsetCommitArgs args, out ClassicGroup? group)
    {
        group = null;
        ErrorCode coordinator = CheckCoordinator(args.GroupId, out int partition);
        if (coordinator != ErrorCode.None)
            return coordinator;
        bool asMember = args.GenerationId >= 0 || args.MemberId.Length > 0 || args.GroupInstanceId is not null;
        if (!_groups.TryGetValue(args.GroupId, out group))
        {
            if (args.GenerationId >= 0)
                return ErrorCode.IllegalGeneration;
            if (asMember)
                return ErrorCode.UnknownMemberId;
            group = GetOrCreate(args.GroupId, partition);
            return ErrorCode.None;
        }
        if (group.State == GroupState.Dead)
            return ErrorCode.CoordinatorNotAvailable;
        GroupMember? member = null;
        if (asMember)
        {
            ErrorCode identity = CheckMember(group, args.MemberId, args.GroupInstanceId);
            if (identity != ErrorCode.None)
                return identity;
            member = group.Members[args.MemberId]; // CheckMember found it (a static member's id is always a member's)
            if (args.GenerationId != group.GenerationId)
                return ErrorCode.IllegalGeneration;
        }
        else if (group.State != GroupState.Empty)
        {
            return ErrorCode.UnknownMemberId;
        }
        if (group.State == GroupState.CompletingRebalance)
            return ErrorCode.RebalanceInProgress;
        if (member is not null)
            member.LastHeartbeatMs = NowMs;
        return ErrorCode.None;
    }

    /// <summary>OffsetFetch for one group: the partitions asked, or every committed one when <paramref name="topics"/> is null.</summary>
    public OffsetFetchResult FetchOffsets(string groupId, IReadOnlyList<(string Topic, IReadOnlyList<int> Partitions)>? topics)
    {
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(groupId, out _);
            if (coordinator != ErrorCode.None)
                return new OffsetFetchResult(coordinator, []);
            _groups.TryGetValue(groupId, out ClassicGroup? group);
            var result = new List<(string, int, CommittedOffset?)>();
            if (topics is null)
            {
                if (group is not null)
                    foreach (var (tp, offset) in group.Offsets.OrderBy(o => o.Key.Topic, StringComparer.Ordinal).ThenBy(o => o.Key.Partition))
                        result.Add((tp.Topic, tp.Partition, offset));
                return new OffsetFetchResult(ErrorCode.None, result);
            }
            foreach (var (topic, partitions) in topics)
                foreach (int p in partitions)
                    result.Add((topic, p, group?.Offsets.GetValueOrDefault(new TopicPartition(topic, p))));
            return new OffsetFetchResult(ErrorCode.None, result);
        }
    }

    /// <summary>OffsetDelete: drops committed offsets, except of topics the (consumer) group's members still subscribe to.</summary>
    public (ErrorCode Error, IReadOnlyList<(string Topic, int Partition, ErrorCode Error)> Partitions) DeleteOffsets(
        string groupId, IReadOnlyList<(string Topic, int Partition)> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(groupId, out _);
            if (coordinator != ErrorCode.None)
                return (coordinator, []);
            if (!_groups.TryGetValue(groupId, out ClassicGroup? group) || group.State == GroupState.Dead)
                return (ErrorCode.GroupIdNotFound, []);
            bool consumerGroup = group.ProtocolType == "consumer";
            if (!consumerGroup && group.State != GroupState.Empty)
                return (ErrorCode.NonEmptyGroup, []);
            var results = new List<(string, int, ErrorCode)>(partitions.Count);
            var records = new List<GroupLogRecord>();
            var removed = new List<TopicPartition>();
            foreach (var (topic, p) in partitions)
            {
                bool subscribed = consumerGroup && group.State != GroupState.Empty && (group.SubscribedTopics?.Contains(topic) ?? true);
                if (subscribed)
                {
                    results.Add((topic, p, ErrorCode.GroupSubscribedToTopic));
                    continue;
                }
                var tp = new TopicPartition(topic, p);
                if (group.Offsets.ContainsKey(tp))
                {
                    records.Add(new GroupLogRecord(GroupRecords.OffsetKey(groupId, topic, p), null));
                    removed.Add(tp);
                }
                results.Add((topic, p, ErrorCode.None));
            }
            if (records.Count > 0)
            {
                ErrorCode appended = _log.Append(group.Partition, records, NowMs);
                if (appended != ErrorCode.None)
                    return (StoreError(appended, forOffsets: true), []);
                foreach (TopicPartition tp in removed)
                    group.Offsets.Remove(tp);
            }
            return (ErrorCode.None, results);
        }
    }

    /// <summary>
    /// Removes expired offsets (offsets.retention.minutes): an empty consumer group's counting from when it became
    /// empty, a standalone group's from each commit, an active group's only for topics it no longer subscribes to.
    /// Empty groups left without offsets are removed. Returns how many offsets expired.
    /// </summary>
    public int ExpireOffsets()
    {
        long retentionMs = _config.OffsetsRetentionMinutes * 60_000;
        int expired = 0;
        lock (_gate)
        {
            long now = NowMs;
            foreach (ClassicGroup group in _groups.Values.ToList())
            {
                if (!_owned.TryGetValue(group.Partition, out bool loaded) || !loaded)
                    continue;
                var gone = new List<TopicPartition>();
                foreach (var (tp, offset) in group.Offsets)
                {
                    long? baseMs = group.ProtocolType is null ? offset.CommitTimestampMs
                        : group.State == GroupState.Empty ? group.StateTimestampMs
                        : group.ProtocolType == "consumer" && group.SubscribedTopics is { } subscribed && !subscribed.Contains(tp.Topic) ? offset.CommitTimestampMs
                        : null;
                    if (baseMs is not long from)
                        continue;
                    long expiresAt = offset.ExpireTimestampMs >= 0 ? offset.ExpireTimestampMs : from + retentionMs;
                    if (expiresAt <= now)
                        gone.Add(tp);
                }
                var records = gone.Select(tp => new GroupLogRecord(GroupRecords.OffsetKey(group.GroupId, tp.Topic, tp.Partition), null)).ToList();
                bool removeGroup = group.State == GroupState.Empty && group.Offsets.Count == gone.Count;
                if (removeGroup)
                    records.Add(new GroupLogRecord(GroupRecords.GroupKey(group.GroupId), null));
                if (records.Count == 0)
                    continue;
                if (_log.Append(group.Partition, records, now) != ErrorCode.None)
                    continue; // tried again at the next check
                foreach (TopicPartition tp in gone)
                    group.Offsets.Remove(tp);
                expired += gone.Count;
                if (removeGroup)
                {
                    group.TransitionTo(GroupState.Dead, now);
                    _groups.Remove(group.GroupId);
                }
            }
        }
        if (expired > 0)
            _logger.LogInformation("Removed {Count} expired offsets", expired);
        return expired;
    }
}
