using Microsoft.Extensions.Logging;
using Gregor.Protocol;

namespace Gregor.Broker.Groups;

public sealed partial class GroupCoordinator
{
    /// <summary>
    /// JoinGroup. Completes at once with an error, MEMBER_ID_REQUIRED (KIP-394), or the current generation when
    /// nothing changes; otherwise when the join phase ends (every member rejoined, or the rebalance timeout).
    /// </summary>
    public Task<JoinGroupResult> JoinGroupAsync(JoinGroupArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(args.GroupId, out int partition);
            if (coordinator != ErrorCode.None)
                return Done(JoinGroupResult.Failed(coordinator, args.MemberId));
            if (args.SessionTimeoutMs < _config.GroupMinSessionTimeoutMs || args.SessionTimeoutMs > _config.GroupMaxSessionTimeoutMs)
                return Done(JoinGroupResult.Failed(ErrorCode.InvalidSessionTimeout, args.MemberId));
            if (args.ProtocolType.Length == 0 || args.Protocols.Count == 0)
                return Done(JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol, args.MemberId));
            bool unknownMember = args.MemberId.Length == 0;
            if (!unknownMember && !_groups.ContainsKey(args.GroupId))
                return Done(JoinGroupResult.Failed(ErrorCode.UnknownMemberId, args.MemberId));
            ClassicGroup group = GetOrCreate(args.GroupId, partition);
            if (group.State == GroupState.Dead)
                return Done(JoinGroupResult.Failed(ErrorCode.CoordinatorNotAvailable, args.MemberId));
            bool known = !unknownMember && (group.Members.ContainsKey(args.MemberId) || group.PendingMembers.ContainsKey(args.MemberId));
            bool knownStatic = args.GroupInstanceId is not null && group.StaticMembers.ContainsKey(args.GroupInstanceId);
            if (!known && !knownStatic && group.Members.Count + group.PendingMembers.Count >= _config.GroupMaxSize)
                return Done(JoinGroupResult.Failed(ErrorCode.GroupMaxSizeReached, args.MemberId));
            return unknownMember ? JoinUnknownMember(group, args) : JoinKnownMember(group, args);
        }
    }

    private Task<JoinGroupResult> JoinUnknownMember(ClassicGroup group, JoinGroupArgs args)
    {
        if (!group.SupportsProtocols(args.ProtocolType, args.Protocols))
            return Done(JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol));
        string newMemberId = NewMemberId(args.ClientId);
        if (args.GroupInstanceId is not null && group.StaticMembers.TryGetValue(args.GroupInstanceId, out string? oldMemberId))
            return ReplaceStaticMember(group, group.Members[oldMemberId], newMemberId, args);
        if (args.RequireKnownMemberId && args.GroupInstanceId is null)
        {
            // KIP-394: the member learns its id first, and joins with it; until then it holds no place in the group.
            group.PendingMembers[newMemberId] = NowMs + args.SessionTimeoutMs;
            return Done(JoinGroupResult.Failed(ErrorCode.MemberIdRequired, newMemberId));
        }
        return AddMemberAndRebalance(group, newMemberId, args);
    }

    private Task<JoinGroupResult> JoinKnownMember(ClassicGroup group, JoinGroupArgs args)
    {
        if (group.PendingMembers.Remove(args.MemberId))
        {
            if (!group.SupportsProtocols(args.ProtocolType, args.Protocols))
                return Done(JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol, args.MemberId));
            return AddMemberAndRebalance(group, args.MemberId, args);
        }
        ErrorCode identity = CheckMember(group, args.MemberId, args.GroupInstanceId);
        if (identity != ErrorCode.None)
            return Done(JoinGroupResult.Failed(identity, args.MemberId));
        GroupMember member = group.Members[args.MemberId];
        if (!group.SupportsProtocols(args.ProtocolType, args.Protocols, member))
            return Done(JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol, args.MemberId));
        member.LastHeartbeatMs = NowMs;
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                return UpdateMemberAndRebalance(group, member, args);
            case GroupState.CompletingRebalance:
                // A repeated join (the response got lost): answer as the join phase did, unless the protocols changed.
                if (member.SameProtocols(args.Protocols))
                    return Done(JoinResultFor(group, member));
                return UpdateMemberAndRebalance(group, member, args);
            case GroupState.Stable:
                if (member.MemberId == group.LeaderId || !member.SameProtocols(args.Protocols))
                    return UpdateMemberAndRebalance(group, member, args);
                return Done(JoinResultFor(group, member));
            default:
                return Done(JoinGroupResult.Failed(ErrorCode.UnknownMemberId, args.MemberId));
        }
    }

    /// <summary>Kafka's checks of who a request says it is: FENCED_INSTANCE_ID for a replaced static member, else UNKNOWN_MEMBER_ID if unknown.</summary>
    private static ErrorCode CheckMember(ClassicGroup group, string memberId, string? groupInstanceId)
    {
        if (groupInstanceId is not null)
        {
            if (group.StaticMembers.TryGetValue(groupInstanceId, out string? current))
                return current == memberId ? ErrorCode.None : ErrorCode.FencedInstanceId;
            return ErrorCode.UnknownMemberId;
        }
        return group.Members.ContainsKey(memberId) ? ErrorCode.None : ErrorCode.UnknownMemberId;
    }

    private Task<JoinGroupResult> AddMemberAndRebalance(ClassicGroup group, string memberId, JoinGroupArgs args)
    {
        var member = new GroupMember(memberId, args.GroupInstanceId, args.ClientId, args.ClientHost)
        {
            SessionTimeoutMs = args.SessionTimeoutMs,
            RebalanceTimeoutMs = args.RebalanceTimeoutMs,
            ProtocolType = args.ProtocolType,
            Protocols = args.Protocols,
            IsNew = true,
            LastHeartbeatMs = NowMs,
        };
        var joined = NewJoinWaiter();
        member.AwaitingJoin = joined;
        group.Add(member);
        if (group.State == GroupState.PreparingRebalance && group.InInitialDelay)
            group.NewMemberAdded = true;
        MaybePrepareRebalance(group);
        TryCompleteJoin(group);
        return joined.Task;
    }

    private Task<JoinGroupResult> UpdateMemberAndRebalance(ClassicGroup group, GroupMember member, JoinGroupArgs args)
    {
        member.Protocols = args.Protocols;
        member.SessionTimeoutMs = args.SessionTimeoutMs;
        member.RebalanceTimeoutMs = args.RebalanceTimeoutMs;
        member.ClientId = args.ClientId;
        member.ClientHost = args.ClientHost;
        // A member that sends JoinGroup again while its first one waits: the first gets no answer Kafka-side either.
        member.AwaitingJoin?.TrySetResult(JoinGroupResult.Failed(ErrorCode.RebalanceInProgress, member.MemberId));
        var joined = NewJoinWaiter();
        member.AwaitingJoin = joined;
        MaybePrepareRebalance(group);
        TryCompleteJoin(group);
        return joined.Task;
    }

    /// <summary>KIP-345: a static member rejoins without its member id; it takes a new one and the old one is fenced.</summary>
    private Task<JoinGroupResult> ReplaceStaticMember(ClassicGroup group, GroupMember member, string newMemberId, JoinGroupArgs args)
    {
        string oldMemberId = member.MemberId;
        member.AwaitingJoin?.TrySetResult(JoinGroupResult.Failed(ErrorCode.FencedInstanceId, oldMemberId));
        member.AwaitingJoin = null;
        member.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(ErrorCode.FencedInstanceId));
        member.AwaitingSync = null;
        bool protocolsChanged = !member.SameProtocols(args.Protocols);
        group.Members.Remove(oldMemberId);
        member.MemberId = newMemberId;
        group.Members[newMemberId] = member;
        group.StaticMembers[args.GroupInstanceId!] = newMemberId;
        if (group.LeaderId == oldMemberId)
            group.LeaderId = newMemberId;
        member.Protocols = args.Protocols;
        member.SessionTimeoutMs = args.SessionTimeoutMs;
        member.RebalanceTimeoutMs = args.RebalanceTimeoutMs;
        member.ClientId = args.ClientId;
        member.ClientHost = args.ClientHost;
        member.LastHeartbeatMs = NowMs;
        if (group.State == GroupState.Stable && !protocolsChanged)
        {
            // Same subscription: no rebalance; the member gets the generation and, through SyncGroup, its old assignment.
            ErrorCode stored = StoreGroup(group);
            if (stored != ErrorCode.None)
                return Done(JoinGroupResult.Failed(stored));
            return Done(new JoinGroupResult(ErrorCode.None, group.GenerationId, group.ProtocolType, group.ProtocolName,
                group.LeaderId ?? "", newMemberId, []));
        }
        var joined = NewJoinWaiter();
        member.AwaitingJoin = joined;
        MaybePrepareRebalance(group);
        TryCompleteJoin(group);
        return joined.Task;
    }

    private static TaskCompletionSource<JoinGroupResult> NewJoinWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Task<T> Done<T>(T result) => Task.FromResult(result);

    private static JoinGroupResult JoinResultFor(ClassicGroup group, GroupMember member)
    {
        bool leader = member.MemberId == group.LeaderId;
        IReadOnlyList<JoinedMember> members = leader
            ? group.Members.Values.Select(m => new JoinedMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(group.ProtocolName))).ToList()
            : [];
        return new JoinGroupResult(ErrorCode.None, group.GenerationId, group.ProtocolType, group.ProtocolName, group.LeaderId ?? "", member.MemberId, members);
    }

    private void MaybePrepareRebalance(ClassicGroup group)
    {
        if (group.State is GroupState.Stable or GroupState.CompletingRebalance or GroupState.Empty)
            PrepareRebalance(group);
    }

    private void PrepareRebalance(ClassicGroup group)
    {
        long now = NowMs;
        if (group.State == GroupState.CompletingRebalance)
            ResetAndPropagateSync(group, ErrorCode.RebalanceInProgress);
        bool initial = group.State == GroupState.Empty;
        group.TransitionTo(GroupState.PreparingRebalance, now);
        if (initial)
        {
            // The first rebalance of an empty group waits a little for more members, extended while more arrive.
            group.InInitialDelay = true;
            group.NewMemberAdded = false;
            group.JoinDeadlineMs = now + _config.GroupInitialRebalanceDelayMs;
            group.InitialDelayRemainingMs = Math.Max(group.MaxRebalanceTimeoutMs - _config.GroupInitialRebalanceDelayMs, 0);
        }
        else
        {
            group.InInitialDelay = false;
            group.JoinDeadlineMs = now + group.MaxRebalanceTimeoutMs;
        }
    }

    private static void ResetAndPropagateSync(ClassicGroup group, ErrorCode error)
    {
        foreach (GroupMember m in group.Members.Values)
        {
            m.Assignment = [];
            m.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(error));
            m.AwaitingSync = null;
        }
    }

    private void TryCompleteJoin(ClassicGroup group)
    {
        if (group.State == GroupState.PreparingRebalance && !group.InInitialDelay && group.AllMembersJoined)
            CompleteJoin(group);
    }

    /// <summary>The join phase ends: members that did not rejoin are removed, and the next generation begins.</summary>
    private void CompleteJoin(ClassicGroup group)
    {
        long now = NowMs;
        foreach (GroupMember m in group.Members.Values.Where(m => m.AwaitingJoin is null).ToList())
            group.Remove(m.MemberId);
        group.InInitialDelay = false;
        group.GenerationId++;
        if (group.IsEmpty)
        {
            group.ProtocolName = null;
            group.LeaderId = null;
            group.TransitionTo(GroupState.Empty, now);
            group.SubscribedTopics = [];
            ErrorCode stored = StoreGroup(group);
            if (stored != ErrorCode.None)
                LogStoreFailed(group, stored);
            return;
        }
        group.ProtocolName = group.SelectProtocol();
        if (group.LeaderId is null || !group.Members.ContainsKey(group.LeaderId))
            group.LeaderId = group.Members.Keys.First();
        group.TransitionTo(GroupState.CompletingRebalance, now);
        group.SubscribedTopics = group.ComputeSubscribedTopics();
        foreach (GroupMember m in group.Members.Values)
        {
            TaskCompletionSource<JoinGroupResult> waiter = m.AwaitingJoin!;
            m.AwaitingJoin = null;
            m.IsNew = false;
            m.LastHeartbeatMs = now;
            waiter.TrySetResult(JoinResultFor(group, m));
        }
    }

    private void LogStoreFailed(ClassicGroup group, ErrorCode error) =>
        _logger.LogWarning("Could not store group {Group} generation {Generation}: {Error}",
            group.GroupId, group.GenerationId, error);

    /// <summary>SyncGroup: the leader's assignments are stored and handed out; others wait for them.</summary>
    public Task<SyncGroupResult> SyncGroupAsync(SyncGroupArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(args.GroupId, out _);
            if (coordinator != ErrorCode.None)
                return Done(SyncGroupResult.Failed(coordinator));
            if (!_groups.TryGetValue(args.GroupId, out ClassicGroup? group))
                return Done(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
            if (group.State == GroupState.Dead)
                return Done(SyncGroupResult.Failed(ErrorCode.CoordinatorNotAvailable));
            ErrorCode identity = CheckMember(group, args.MemberId, args.GroupInstanceId);
            if (identity != ErrorCode.None)
                return Done(SyncGroupResult.Failed(identity));
            if (args.GenerationId != group.GenerationId)
                return Done(SyncGroupResult.Failed(ErrorCode.IllegalGeneration));
            if ((args.ProtocolType is not null && args.ProtocolType != group.ProtocolType) || (args.ProtocolName is not null && args.ProtocolName != group.ProtocolName))
                return Done(SyncGroupResult.Failed(ErrorCode.InconsistentGroupProtocol));
            GroupMember member = group.Members[args.MemberId];
            member.LastHeartbeatMs = NowMs;
            switch (group.State)
            {
                case GroupState.Empty:
                    return Done(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
                case GroupState.PreparingRebalance:
                    return Done(SyncGroupResult.Failed(ErrorCode.RebalanceInProgress));
                case GroupState.Stable:
                    return Done(new SyncGroupResult(ErrorCode.None, group.ProtocolType, group.ProtocolName, member.Assignment));
            }
            // CompletingRebalance
            member.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(ErrorCode.RebalanceInProgress));
            var synced = new TaskCompletionSource<SyncGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            member.AwaitingSync = synced;
            if (member.MemberId == group.LeaderId)
            {
                var given = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                foreach (var (id, assignment) in args.Assignments)
                    given[id] = assignment;
                foreach (GroupMember m in group.Members.Values)
                    m.Assignment = given.GetValueOrDefault(m.MemberId) ?? [];
                ErrorCode stored = StoreGroup(group);
                if (stored != ErrorCode.None)
                {
                    ResetAndPropagateSync(group, stored);
                    PrepareRebalance(group);
                    return synced.Task;
                }
                group.TransitionTo(GroupState.Stable, NowMs);
                foreach (GroupMember m in group.Members.Values)
                {
                    m.AwaitingSync?.TrySetResult(new SyncGroupResult(ErrorCode.None, group.ProtocolType, group.ProtocolName, m.Assignment));
                    m.AwaitingSync = null;
                }
            }
            return synced.Task;
        }
    }

    /// <summary>Heartbeat: keeps the member's session and tells it when to rejoin (REBALANCE_IN_PROGRESS).</summary>
    public ErrorCode Heartbeat(string groupId, string memberId, string? groupInstanceId, int generationId)
    {
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(groupId, out _);
            if (coordinator != ErrorCode.None)
                return coordinator;
            if (!_groups.TryGetValue(groupId, out ClassicGroup? group))
                return ErrorCode.UnknownMemberId;
            if (group.State == GroupState.Dead)
                return ErrorCode.CoordinatorNotAvailable;
            ErrorCode identity = CheckMember(group, memberId, groupInstanceId);
            if (identity != ErrorCode.None)
                return identity;
            if (group.State == GroupState.Empty)
                return ErrorCode.UnknownMemberId;
            if (generationId != group.GenerationId)
                return ErrorCode.IllegalGeneration;
            group.Members[memberId].LastHeartbeatMs = NowMs;
            return group.State == GroupState.PreparingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
        }
    }

    /// <summary>LeaveGroup for one or more members (by member id, or by group.instance.id for static members).</summary>
    public LeaveGroupResult LeaveGroup(string groupId, IReadOnlyList<LeavingMember> leaving)
    {
        ArgumentNullException.ThrowIfNull(leaving);
        lock (_gate)
        {
            ErrorCode coordinator = CheckCoordinator(groupId, out _);
            if (coordinator != ErrorCode.None)
                return new LeaveGroupResult(coordinator, []);
            if (!_groups.TryGetValue(groupId, out ClassicGroup? group))
                return new LeaveGroupResult(ErrorCode.None, leaving.Select(m => (m, ErrorCode.UnknownMemberId)).ToList());
            if (group.State == GroupState.Dead)
                return new LeaveGroupResult(ErrorCode.CoordinatorNotAvailable, []);
            var results = new List<(LeavingMember, ErrorCode)>(leaving.Count);
            foreach (LeavingMember m in leaving)
                results.Add((m, Leave(group, m)));
            return new LeaveGroupResult(ErrorCode.None, results);
        }
    }

    private ErrorCode Leave(ClassicGroup group, LeavingMember leaving)
    {
        string memberId = leaving.MemberId;
        if (leaving.GroupInstanceId is not null)
        {
            if (!group.StaticMembers.TryGetValue(leaving.GroupInstanceId, out string? current))
                return ErrorCode.UnknownMemberId;
            // An empty member id (an admin removing a static member) matches whoever holds the instance id.
            if (memberId.Length > 0 && memberId != current)
                return ErrorCode.FencedInstanceId;
            memberId = current;
        }
        else if (group.PendingMembers.Remove(memberId))
        {
            TryCompleteJoin(group);
            return ErrorCode.None;
        }
        if (!group.Members.TryGetValue(memberId, out GroupMember? member))
            return ErrorCode.UnknownMemberId;
        RemoveMemberAndUpdateGroup(group, member);
        return ErrorCode.None;
    }

    private void RemoveMemberAndUpdateGroup(ClassicGroup group, GroupMember member)
    {
        member.AwaitingJoin?.TrySetResult(JoinGroupResult.Failed(ErrorCode.UnknownMemberId, member.MemberId));
        member.AwaitingJoin = null;
        member.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
        member.AwaitingSync = null;
        group.Remove(member.MemberId);
        switch (group.State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                PrepareRebalance(group);
                TryCompleteJoin(group);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
        }
    }

    /// <summary>
    /// Acts on every deadline that has passed: session timeouts, lapsed MEMBER_ID_REQUIRED offers, ends of join
    /// phases (the initial delay is extended while new members keep arriving, up to the rebalance timeout).
    /// </summary>
    public void Poll()
    {
        lock (_gate)
        {
            long now = NowMs;
            foreach (ClassicGroup group in _groups.Values.ToList())
            {
                foreach (var (pending, deadline) in group.PendingMembers.ToList())
                {
                    if (deadline <= now)
                    {
                        group.PendingMembers.Remove(pending);
                        TryCompleteJoin(group);
                    }
                }
                foreach (GroupMember member in group.Members.Values.ToList())
                {
                    if (!KeepAlive(member, now) && group.Members.ContainsKey(member.MemberId))
                    {
                        LogMemberExpired(group, member);
                        RemoveMemberAndUpdateGroup(group, member);
                    }
                }
                if (group.State == GroupState.PreparingRebalance && group.JoinDeadlineMs <= now)
                {
                    if (group.InInitialDelay && group.NewMemberAdded && group.InitialDelayRemainingMs > 0)
                    {
                        long delay = Math.Min(_config.GroupInitialRebalanceDelayMs, group.InitialDelayRemainingMs);
                        group.InitialDelayRemainingMs -= delay;
                        group.NewMemberAdded = false;
                        group.JoinDeadlineMs = now + delay;
                    }
                    else
                    {
                        CompleteJoin(group);
                    }
                }
            }
        }
    }

    /// <summary>Kafka's rule: a member waiting in a join or sync is kept (a new one only for 5 minutes); others need a heartbeat within the session timeout.</summary>
    private static bool KeepAlive(GroupMember member, long now)
    {
        if (member.AwaitingJoin is not null)
            return !member.IsNew || member.LastHeartbeatMs + NewMemberJoinTimeoutMs > now;
        return member.AwaitingSync is not null || member.LastHeartbeatMs + member.SessionTimeoutMs > now;
    }

    private void LogMemberExpired(ClassicGroup group, GroupMember member) =>
        _logger.LogInformation("Member {Member} of group {Group} timed out after {Timeout} ms without a heartbeat",
            member.MemberId, group.GroupId, member.SessionTimeoutMs);
}
