using Gregor.Broker.Replication;

namespace Gregor.Broker.Groups;

/// <summary>The states of a classic group, with the names DescribeGroups and ListGroups use.</summary>
public enum GroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

/// <summary>One member of a classic group. Mutated only under the coordinator's lock.</summary>
internal sealed class GroupMember(string memberId, string? groupInstanceId, string clientId, string clientHost)
{
    public string MemberId { get; set; } = memberId;
    public string? GroupInstanceId { get; } = groupInstanceId;
    public string ClientId { get; set; } = clientId;
    public string ClientHost { get; set; } = clientHost;
    public int SessionTimeoutMs { get; set; }
    public int RebalanceTimeoutMs { get; set; }
    public string ProtocolType { get; set; } = "";
    public IReadOnlyList<(string Name, byte[] Metadata)> Protocols { get; set; } = [];
    public byte[] Assignment { get; set; } = [];
    public TaskCompletionSource<JoinGroupResult>? AwaitingJoin { get; set; }
    public TaskCompletionSource<SyncGroupResult>? AwaitingSync { get; set; }
    public long LastHeartbeatMs { get; set; }
    /// <summary>Joined during the current rebalance and not yet part of a generation.</summary>
    public bool IsNew { get; set; }

    public byte[] MetadataFor(string? protocol)
    {
        foreach (var (name, metadata) in Protocols)
            if (name == protocol)
                return metadata;
        return [];
    }

    public bool Supports(string protocol)
    {
        foreach (var (name, _) in Protocols)
            if (name == protocol)
                return true;
        return false;
    }

    public bool SameProtocols(IReadOnlyList<(string Name, byte[] Metadata)> other)
    {
        if (other.Count != Protocols.Count) return false;
        for (int i = 0; i < other.Count; i++)
            if (other[i].Name != Protocols[i].Name || !other[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
                return false;
        return true;
    }
}

/// <summary>A classic group: members, generation, the chosen protocol, and the group's committed offsets.</summary>
internal sealed class ClassicGroup(string groupId, int partition, long nowMs)
{
    public string GroupId { get; } = groupId;
    public int Partition { get; } = partition;
    public GroupState State { get; private set; } = GroupState.Empty;
    /// <summary>When the state last changed: offsets of an empty group expire counting from here.</summary>
    public long StateTimestampMs { get; set; } = nowMs;
    public string? ProtocolType { get; set; }
    public string? ProtocolName { get; set; }
    public string? LeaderId { get; set; }
    public int GenerationId { get; set; }
    public Dictionary<string, GroupMember> Members { get; } = new(StringComparer.Ordinal);
    /// <summary>Static members: group.instance.id → member id.</summary>
    public Dictionary<string, string> StaticMembers { get; } = new(StringComparer.Ordinal);
    /// <summary>Members given an id with MEMBER_ID_REQUIRED that have not joined with it yet → when that offer lapses.</summary>
    public Dictionary<string, long> PendingMembers { get; } = new(StringComparer.Ordinal);
    public Dictionary<TopicPartition, CommittedOffset> Offsets { get; } = [];

    /// <summary>When the current join phase ends (PreparingRebalance only).</summary>
    public long JoinDeadlineMs { get; set; }
    /// <summary>The join phase is the delayed first one (group.initial.rebalance.delay.ms), which never ends early.</summary>
    public bool InInitialDelay { get; set; }
    public long InitialDelayRemainingMs { get; set; }
    public bool NewMemberAdded { get; set; }
    /// <summary>Topics the members subscribe to (consumer protocol), or null when unknown.</summary>
    public HashSet<string>? SubscribedTopics { get; set; }

    public bool IsEmpty => Members.Count == 0;

    public void TransitionTo(GroupState state, long nowMs)
    {
        State = state;
        StateTimestampMs = nowMs;
    }

    public int MaxRebalanceTimeoutMs => Members.Count == 0 ? 0 : Members.Values.Max(m => m.RebalanceTimeoutMs);

    public bool AllMembersJoined => PendingMembers.Count == 0 && Members.Values.All(m => m.AwaitingJoin is not null);

    /// <summary>Whether a member with this type and these protocols could join (Kafka: one type, at least one protocol every member supports).</summary>
    public bool SupportsProtocols(string protocolType, IReadOnlyList<(string Name, byte[] Metadata)> protocols, GroupMember? except = null)
    {
        if (Members.Count == 0 || (except is not null && Members.Count == 1 && Members.ContainsKey(except.MemberId)))
            return protocolType.Length > 0 && protocols.Count > 0;
        if (ProtocolType != protocolType)
            return false;
        foreach (var (name, _) in protocols)
        {
            bool everyOther = true;
            foreach (GroupMember m in Members.Values)
            {
                if (ReferenceEquals(m, except)) continue;
                if (!m.Supports(name)) { everyOther = false; break; }
            }
            if (everyOther) return true;
        }
        return false;
    }

    /// <summary>Kafka's choice: among the protocols every member supports, the one most members list first.</summary>
    public string SelectProtocol()
    {
        var candidates = Members.Values.First().Protocols.Select(p => p.Name)
            .Where(name => Members.Values.All(m => m.Supports(name))).ToList();
        if (candidates.Count == 0)
            throw new InvalidOperationException($"Group {GroupId} has no protocol every member supports.");
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (GroupMember m in Members.Values)
        {
            string vote = m.Protocols.Select(p => p.Name).First(candidates.Contains);
            votes[vote] = votes.GetValueOrDefault(vote) + 1;
        }
        return candidates.OrderByDescending(c => votes.GetValueOrDefault(c)).First();
    }

    public void Add(GroupMember member)
    {
        if (Members.Count == 0)
            ProtocolType = member.ProtocolType;
        Members[member.MemberId] = member;
        if (member.GroupInstanceId is not null)
            StaticMembers[member.GroupInstanceId] = member.MemberId;
        LeaderId ??= member.MemberId;
    }

    public void Remove(string memberId)
    {
        if (!Members.Remove(memberId, out GroupMember? member))
            return;
        if (member.GroupInstanceId is not null && StaticMembers.TryGetValue(member.GroupInstanceId, out string? id) && id == memberId)
            StaticMembers.Remove(member.GroupInstanceId);
        if (LeaderId == memberId)
            LeaderId = Members.Keys.FirstOrDefault();
    }

    /// <summary>The topics of the consumer protocol's subscriptions (version, topics[], user data, ...), or null when one is unreadable.</summary>
    public HashSet<string>? ComputeSubscribedTopics()
    {
        if (ProtocolType != "consumer" || ProtocolName is null)
            return null;
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (GroupMember m in Members.Values)
        {
            try
            {
                var r = new Gregor.Protocol.Primitives.ProtocolReader(m.MetadataFor(ProtocolName));
                r.ReadInt16();
                int count = r.ReadArrayLength(false, false, 2);
                for (int i = 0; i < count; i++)
                    topics.Add(r.ReadRequiredString(false));
            }
            catch (Gregor.Protocol.Primitives.MalformedMessageException)
            {
                return null;
            }
        }
        return topics;
    }
}
