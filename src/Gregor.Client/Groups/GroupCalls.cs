using Gregor.Protocol.Messages;

namespace Gregor.Client.Groups;

/// <summary>Requests the membership sends one at a time per lane: the coordinator's, and metadata's.</summary>
internal enum GroupLane
{
    Coordinator = 0,
    Metadata = 1,
}

/// <summary>
/// A request the membership wants sent, with its own timeout and the identity it was sent with (an
/// answer about an older generation must not reset a newer one). The I/O driver sends it and hands
/// the answer, or the failure, back; an answer to a call the membership has since abandoned is ignored.
/// </summary>
internal abstract class GroupCall(long id, TimeSpan timeout, int generationId, string memberId)
{
    public long Id { get; } = id;

    public TimeSpan Timeout { get; } = timeout;

    public int GenerationId { get; } = generationId;

    public string MemberId { get; } = memberId;

    public virtual GroupLane Lane => GroupLane.Coordinator;
}

/// <summary>FindCoordinator for the group (key type 0), to any broker.</summary>
internal sealed class FindCoordinatorCall(long id, TimeSpan timeout, FindCoordinatorRequest request)
    : GroupCall(id, timeout, -1, "")
{
    public FindCoordinatorRequest Request { get; } = request;
}

internal sealed class JoinGroupCall(long id, TimeSpan timeout, int generationId, string memberId, JoinGroupRequest request)
    : GroupCall(id, timeout, generationId, memberId)
{
    public JoinGroupRequest Request { get; } = request;
}

internal sealed class SyncGroupCall(long id, TimeSpan timeout, int generationId, string memberId, SyncGroupRequest request)
    : GroupCall(id, timeout, generationId, memberId)
{
    public SyncGroupRequest Request { get; } = request;
}

internal sealed class HeartbeatCall(long id, TimeSpan timeout, int generationId, string memberId, HeartbeatRequest request, long sentAtMs)
    : GroupCall(id, timeout, generationId, memberId)
{
    public HeartbeatRequest Request { get; } = request;

    public long SentAtMs { get; } = sentAtMs;
}

internal sealed class LeaveGroupCall(long id, TimeSpan timeout, string memberId, LeaveGroupRequest request)
    : GroupCall(id, timeout, -1, memberId)
{
    public LeaveGroupRequest Request { get; } = request;
}

/// <summary>Metadata for the named topics, or every topic when <see cref="Topics"/> is null.</summary>
internal sealed class MetadataCall(long id, TimeSpan timeout, IReadOnlyList<string>? topics)
    : GroupCall(id, timeout, -1, "")
{
    public IReadOnlyList<string>? Topics { get; } = topics;

    public override GroupLane Lane => GroupLane.Metadata;
}

/// <summary>The group's coordinator as FindCoordinator named it.</summary>
internal sealed record CoordinatorNode(int NodeId, string Host, int Port);
