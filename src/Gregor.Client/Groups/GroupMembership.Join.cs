using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>JoinGroup and SyncGroup: joining, the leader's assignment, and applying what the coordinator hands out.</summary>
internal sealed partial class GroupMembership
{
    // The leader's view of the generation being formed, and what its assignment was computed from.
    private List<MemberSubscription>? _groupMembers;
    private SortedSet<string> _groupTopics = new(StringComparer.Ordinal);
    private Dictionary<string, int>? _assignedWith;
    private List<SyncGroupRequest.SyncGroupRequestAssignment>? _syncAssignments;

    private JoinGroupCall JoinCall()
    {
        _joinedSubscription = new SortedSet<string>(_subscription, StringComparer.Ordinal);
        var owned = _owned.ToList();
        var protocols = new List<JoinGroupRequest.JoinGroupRequestProtocol>();
        foreach (var assignor in _settings.Assignors)
        {
            var subscription = new ConsumerProtocolSubscription
            {
                Topics = [.. _joinedSubscription],
                UserData = assignor.SubscriptionUserData(GenerationId),
                OwnedPartitions = ConsumerProtocolCodec.ToOwned(owned),
                GenerationId = GenerationId,
                RackId = _settings.RackId,
            };
            protocols.Add(new JoinGroupRequest.JoinGroupRequestProtocol { Name = assignor.Name, Metadata = ConsumerProtocolCodec.Write(subscription) });
        }
        var request = new JoinGroupRequest
        {
            GroupId = _settings.GroupId,
            SessionTimeoutMs = (int)_settings.SessionTimeout.TotalMilliseconds,
            RebalanceTimeoutMs = (int)_settings.MaxPollInterval.TotalMilliseconds,
            MemberId = MemberId,
            GroupInstanceId = _settings.GroupInstanceId,
            ProtocolType = ProtocolType,
            Protocols = protocols,
            Reason = _rejoinReason,
        };
        // Anything that asks for a rebalance from here on asks for another one.
        _rejoinNeeded = false;
        return new JoinGroupCall(++_nextCallId, _settings.JoinTimeout, GenerationId, MemberId, request);
    }

    public void OnJoinGroup(JoinGroupCall call, JoinGroupResponse response, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!ReferenceEquals(call, _coordinatorCall)) return;
        _coordinatorCall = null;
        var error = (WireErrorCode)response.ErrorCode;
        switch (error)
        {
            case WireErrorCode.None:
                Joined(response, nowMs);
                return;
            case WireErrorCode.MemberIdRequired:
                // KIP-394: join again at once with the id the coordinator has set aside.
                MemberId = response.MemberId;
                RequestRejoin("the coordinator gave a member id to join with");
                return;
            case WireErrorCode.UnknownMemberId:
            case WireErrorCode.IllegalGeneration:
                ResetGenerationAndRejoin($"JoinGroup answered {error.KafkaName()}");
                return;
            case WireErrorCode.RebalanceInProgress:
                RequestRejoin("JoinGroup answered REBALANCE_IN_PROGRESS");
                return;
            case WireErrorCode.CoordinatorLoadInProgress:
                RequestRejoin("the coordinator is loading the group");
                BackOff(nowMs);
                return;
            case WireErrorCode.CoordinatorNotAvailable:
            case WireErrorCode.NotCoordinator:
                MarkCoordinatorUnknown();
                RequestRejoin($"JoinGroup answered {error.KafkaName()}");
                BackOff(nowMs);
                return;
            case WireErrorCode.FencedInstanceId:
                Fail(error, $"another member took group.instance.id {_settings.GroupInstanceId}");
                return;
            default:
                // INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, GROUP_MAX_SIZE_REACHED, GROUP_AUTHORIZATION_FAILED...
                Surface(error, $"JoinGroup failed: {error.KafkaName()}");
                RequestRejoin($"JoinGroup answered {error.KafkaName()}");
                BackOff(nowMs);
                return;
        }
    }

    private void Joined(JoinGroupResponse response, long nowMs)
    {
        if (response.ProtocolType is { } type && type != ProtocolType || !_settings.Assignors.Any(a => a.Name == response.ProtocolName))
        {
            Surface(WireErrorCode.InconsistentGroupProtocol, $"the coordinator chose protocol {response.ProtocolType}/{response.ProtocolName}, which this member did not offer");
            RequestRejoin("inconsistent group protocol");
            BackOff(nowMs);
            return;
        }
        _coordinatorFailures = 0;
        MemberId = response.MemberId;
        GenerationId = response.GenerationId;
        ProtocolName = response.ProtocolName;
        LeaderId = response.Leader;
        State = MembershipState.CompletingRebalance;
        _groupMembers = null;
        _syncAssignments = null;
        if (!IsLeader || response.SkipAssignment || response.Members.Count == 0)
        {
            // A follower, or a static leader rejoining a stable group (KIP-814): the assignment stands.
            _syncAssignments = [];
            return;
        }
        var members = new List<MemberSubscription>(response.Members.Count);
        foreach (var m in response.Members)
        {
            try
            {
                members.Add(ConsumerProtocolCodec.ToMember(m.MemberId, m.GroupInstanceId, ConsumerProtocolCodec.ReadSubscription(m.Metadata)));
            }
            catch (MalformedMessageException e)
            {
                // A member whose subscription cannot be read subscribes to nothing here (as librdkafka treats it).
                Surface(WireErrorCode.InconsistentGroupProtocol, $"member {m.MemberId} sent a subscription that cannot be read: {e.Message}");
                members.Add(new MemberSubscription(m.MemberId, m.GroupInstanceId, [], []));
            }
        }
        _groupMembers = members;
        _groupTopics = new SortedSet<string>(members.SelectMany(m => m.Topics), StringComparer.Ordinal);
        // The assignment needs fresh partition counts for every member's topics.
        _metadataDueMs = nowMs;
        _metadataFailures = 0;
    }

    /// <summary>The leader runs the selected assignor over every member's subscription and fresh metadata.</summary>
    private void AssignAsLeader(TopicsSnapshot snapshot)
    {
        var assignor = _settings.Assignors.First(a => a.Name == ProtocolName);
        var members = _groupMembers!;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string topic in _groupTopics)
            if (snapshot.PartitionCounts.TryGetValue(topic, out int n) && n > 0) counts[topic] = n;
        var result = assignor.Assign(counts, members);
        _assignedWith = counts;
        _syncAssignments = [.. members.Select(m => new SyncGroupRequest.SyncGroupRequestAssignment
        {
            MemberId = m.MemberId,
            Assignment = ConsumerProtocolCodec.Write(ConsumerProtocolCodec.ToAssignment(result.TryGetValue(m.MemberId, out var mine) ? mine : [])),
        })];
    }

    private SyncGroupCall SyncCall()
    {
        var request = new SyncGroupRequest
        {
            GroupId = _settings.GroupId,
            GenerationId = GenerationId,
            MemberId = MemberId,
            GroupInstanceId = _settings.GroupInstanceId,
            ProtocolType = ProtocolType,
            ProtocolName = ProtocolName,
            Assignments = _syncAssignments!,
        };
        _syncAssignments = null;
        return new SyncGroupCall(++_nextCallId, _settings.RequestTimeout, GenerationId, MemberId, request);
    }

    public void OnSyncGroup(SyncGroupCall call, SyncGroupResponse response, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!ReferenceEquals(call, _coordinatorCall)) return;
        _coordinatorCall = null;
        var error = (WireErrorCode)response.ErrorCode;
        switch (error)
        {
            case WireErrorCode.None:
                Synced(response, nowMs);
                return;
            case WireErrorCode.RebalanceInProgress:
                State = MembershipState.PreparingRebalance;
                RequestRejoin("SyncGroup answered REBALANCE_IN_PROGRESS");
                return;
            case WireErrorCode.UnknownMemberId:
            case WireErrorCode.IllegalGeneration:
                ResetGenerationAndRejoin($"SyncGroup answered {error.KafkaName()}");
                return;
            case WireErrorCode.FencedInstanceId:
                Fail(error, $"another member took group.instance.id {_settings.GroupInstanceId}");
                return;
            case WireErrorCode.CoordinatorNotAvailable:
            case WireErrorCode.NotCoordinator:
                MarkCoordinatorUnknown();
                State = MembershipState.PreparingRebalance;
                RequestRejoin($"SyncGroup answered {error.KafkaName()}");
                BackOff(nowMs);
                return;
            case WireErrorCode.CoordinatorLoadInProgress:
                State = MembershipState.PreparingRebalance;
                RequestRejoin("the coordinator is loading the group");
                BackOff(nowMs);
                return;
            default:
                Surface(error, $"SyncGroup failed: {error.KafkaName()}");
                State = MembershipState.PreparingRebalance;
                RequestRejoin($"SyncGroup answered {error.KafkaName()}");
                BackOff(nowMs);
                return;
        }
    }

    private void Synced(SyncGroupResponse response, long nowMs)
    {
        if (response.ProtocolType is { } type && type != ProtocolType || response.ProtocolName is { } name && name != ProtocolName)
        {
            Surface(WireErrorCode.InconsistentGroupProtocol, $"SyncGroup answered protocol {response.ProtocolType}/{response.ProtocolName}, not {ProtocolType}/{ProtocolName}");
            State = MembershipState.PreparingRebalance;
            RequestRejoin("inconsistent group protocol");
            BackOff(nowMs);
            return;
        }
        List<TopicPartition> assigned;
        try
        {
            assigned = ConsumerProtocolCodec.PartitionsOf(ConsumerProtocolCodec.ReadAssignment(response.Assignment));
        }
        catch (MalformedMessageException e)
        {
            Surface(WireErrorCode.InconsistentGroupProtocol, $"the assignment from the leader cannot be read: {e.Message}");
            State = MembershipState.PreparingRebalance;
            RequestRejoin("unreadable assignment");
            BackOff(nowMs);
            return;
        }
        State = MembershipState.Stable;
        _coordinatorFailures = 0;
        _sessionDeadlineMs = nowMs + (long)_settings.SessionTimeout.TotalMilliseconds;
        _heartbeatDueMs = nowMs + (long)_settings.HeartbeatInterval.TotalMilliseconds;
        if (IsLeader) _metadataDueMs = nowMs + (long)_settings.MetadataMaxAge.TotalMilliseconds;
        if (assigned.Any(tp => !_subscription.Contains(tp.Topic)))
        {
            // As Kafka's client: an assignment for topics no longer subscribed (the subscription changed meanwhile) is not taken.
            RequestRejoin("the assignment does not match the subscription");
            return;
        }
        if (_protocol == RebalanceProtocol.Cooperative)
        {
            var revoked = _owned.Where(tp => !assigned.Contains(tp)).ToList();
            if (revoked.Count > 0)
            {
                Enqueue(RebalanceStepKind.Revoke, revoked);
                RequestRejoin("partitions were revoked so that they can move (cooperative rebalance)");
            }
            Enqueue(RebalanceStepKind.Assign, assigned.Where(tp => !_owned.Contains(tp)));
        }
        else
        {
            if (_owned.Count > 0) Enqueue(RebalanceStepKind.Revoke, _owned); // cannot happen: revoked before joining
            Enqueue(RebalanceStepKind.Assign, assigned);
        }
    }
}
