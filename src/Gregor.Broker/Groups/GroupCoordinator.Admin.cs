using Gregor.Protocol;

namespace Gregor.Broker.Groups;

public sealed partial class GroupCoordinator
{
    /// <summary>DescribeGroups for one group; an unknown group is described as Dead with no error, as Kafka does.</summary>
    public GroupDescription DescribeGroup(string groupId)
    {
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(groupId, out _);
            if (coordinator != ErrorCode.None)
                return new GroupDescription(coordinator, groupId, "", "", "", []);
            if (!_groups.TryGetValue(groupId, out ClassicGroup? group))
                return new GroupDescription(ErrorCode.None, groupId, nameof(GroupState.Dead), "", "", []);
            // Protocol, member metadata and assignments only mean something once the group is stable.
            bool stable = group.State == GroupState.Stable;
            var members = group.Members.Values.Select(m => new DescribedMember(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                stable ? m.MetadataFor(group.ProtocolName) : [], stable ? m.Assignment : [])).ToList();
            return new GroupDescription(ErrorCode.None, groupId, group.State.ToString(), group.ProtocolType ?? "",
                stable ? group.ProtocolName ?? "" : "", members);
        }
    }

    /// <summary>ListGroups: the groups of the partitions loaded here, optionally only those in the given states (case-insensitive).</summary>
    public (ErrorCode Error, IReadOnlyList<GroupListing> Groups) ListGroups(IReadOnlyCollection<string>? states)
    {
        lock (_gate)
        {
            ErrorCode error = _owned.Values.Any(loaded => !loaded) ? ErrorCode.CoordinatorLoadInProgress : ErrorCode.None;
            var listed = _groups.Values
                .Where(g => _owned.GetValueOrDefault(g.Partition) && g.State != GroupState.Dead)
                .Where(g => states is null || states.Count == 0 || states.Contains(g.State.ToString(), StringComparer.OrdinalIgnoreCase))
                .OrderBy(g => g.GroupId, StringComparer.Ordinal)
                .Select(g => new GroupListing(g.GroupId, g.ProtocolType ?? "", g.State.ToString()))
                .ToList();
            return (error, listed);
        }
    }

    /// <summary>DeleteGroups for one group: only an empty group can go; its metadata and offsets get tombstones.</summary>
    public ErrorCode DeleteGroup(string groupId)
    {
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(groupId, out _);
            if (coordinator != ErrorCode.None)
                return coordinator;
            if (!_groups.TryGetValue(groupId, out ClassicGroup? group) || group.State == GroupState.Dead)
                return ErrorCode.GroupIdNotFound;
            if (group.State != GroupState.Empty)
                return ErrorCode.NonEmptyGroup;
            var records = group.Offsets.Keys
                .Select(tp => new GroupLogRecord(GroupRecords.OffsetKey(groupId, tp.Topic, tp.Partition), null))
                .Append(new GroupLogRecord(GroupRecords.GroupKey(groupId), null))
                .ToList();
            ErrorCode appended = _log.Append(group.Partition, records, NowMs);
            if (appended != ErrorCode.None)
                return StoreError(appended, forOffsets: false);
            group.TransitionTo(GroupState.Dead, NowMs);
            _groups.Remove(groupId);
            return ErrorCode.None;
        }
    }
}
