using Gregor.Protocol;

namespace Gregor.Broker.Groups;

/// <summary>What a JoinGroup asks of the coordinator.</summary>
public sealed record JoinGroupArgs(
    string GroupId,
    string MemberId,
    string? GroupInstanceId,
    string ProtocolType,
    IReadOnlyList<(string Name, byte[] Metadata)> Protocols,
    int SessionTimeoutMs,
    int RebalanceTimeoutMs,
    string ClientId,
    string ClientHost,
    bool RequireKnownMemberId);

public sealed record JoinedMember(string MemberId, string? GroupInstanceId, byte[] Metadata);

public sealed record JoinGroupResult(ErrorCode Error, int GenerationId, string? ProtocolType, string? ProtocolName,
    string LeaderId, string MemberId, IReadOnlyList<JoinedMember> Members)
{
    public static JoinGroupResult Failed(ErrorCode error, string memberId = "") => new(error, -1, null, null, "", memberId, []);
}

public sealed record SyncGroupArgs(string GroupId, int GenerationId, string MemberId, string? GroupInstanceId,
    string? ProtocolType, string? ProtocolName, IReadOnlyList<(string MemberId, byte[] Assignment)> Assignments);

public sealed record SyncGroupResult(ErrorCode Error, string? ProtocolType, string? ProtocolName, byte[] Assignment)
{
    public static SyncGroupResult Failed(ErrorCode error) => new(error, null, null, []);
}

/// <summary>One member of a LeaveGroup and what came of it.</summary>
public sealed record LeavingMember(string MemberId, string? GroupInstanceId);

public sealed record LeaveGroupResult(ErrorCode Error, IReadOnlyList<(LeavingMember Member, ErrorCode Error)> Members);

public sealed record OffsetToCommit(string Topic, int Partition, long Offset, int LeaderEpoch, string? Metadata);

public sealed record OffsetCommitArgs(string GroupId, int GenerationId, string MemberId, string? GroupInstanceId, IReadOnlyList<OffsetToCommit> Offsets);

/// <summary>A group's committed offsets for the partitions asked (or all of them), or the group's error.</summary>
public sealed record OffsetFetchResult(ErrorCode Error, IReadOnlyList<(string Topic, int Partition, CommittedOffset? Offset)> Offsets);

public sealed record DescribedMember(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, byte[] Metadata, byte[] Assignment);

public sealed record GroupDescription(ErrorCode Error, string GroupId, string State, string ProtocolType, string ProtocolData, IReadOnlyList<DescribedMember> Members);

public sealed record GroupListing(string GroupId, string ProtocolType, string State);
