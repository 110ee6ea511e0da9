using Gregor.Client.Consumer;
using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>
/// Commits belong to the consumer, but say who they come from: the member's current generation and
/// member id (also while a rebalance is under way: the coordinator accepts the current generation
/// until the join phase ends, which is what lets a revoke handler commit), and its instance id.
/// A commit refused because the group moved on is the consumer's error to surface, and tells the
/// membership what happened to it.
/// </summary>
internal sealed partial class GroupMembership
{
    /// <summary>The identity to commit with; throws when the member is in no generation (the commit could only be refused).</summary>
    public GroupMemberIdentity GetCommitIdentity()
    {
        if (_fatal is not null) throw _fatal;
        if (HasGeneration) return new GroupMemberIdentity(GenerationId, MemberId, _settings.GroupInstanceId);
        if (Subscribed && State is MembershipState.PreparingRebalance or MembershipState.CompletingRebalance)
            throw CommitFailed(WireErrorCode.RebalanceInProgress, "the member is rejoining the group; poll to complete the rebalance, then commit again");
        throw CommitFailed(WireErrorCode.UnknownMemberId, "the member is not part of an active generation of the group (it may have been removed from it)");
    }

    /// <summary>
    /// The coordinator's answer to a commit made with <paramref name="used"/>. Returns the error the
    /// consumer must surface, or null when the code is not the group's business (none, or a
    /// per-partition error the consumer handles itself).
    /// </summary>
    public KafkaException? OnCommitError(WireErrorCode code, GroupMemberIdentity used, long nowMs)
    {
        bool current = used.GenerationId == GenerationId && used.MemberId == MemberId;
        switch (code)
        {
            case WireErrorCode.RebalanceInProgress:
                if (current && State == MembershipState.Stable) RequestRejoin("a commit found the group rebalancing");
                return CommitFailed(code, "the group is rebalancing; the commit can be retried after the rebalance completes (poll)");
            case WireErrorCode.IllegalGeneration:
            case WireErrorCode.UnknownMemberId:
                if (current && HasGeneration) ResetGenerationAndRejoin($"a commit was answered {code.KafkaName()}");
                return CommitFailed(code, "the group has already rebalanced and the partitions may belong to another member; the commit cannot be completed");
            case WireErrorCode.FencedInstanceId:
                if (current) Fail(code, $"another member took group.instance.id {_settings.GroupInstanceId}");
                return _fatal ?? CommitFailed(code, "fenced by another member with the same group.instance.id");
            case WireErrorCode.NotCoordinator:
            case WireErrorCode.CoordinatorNotAvailable:
                if (_coordinatorCall is not JoinGroupCall and not SyncGroupCall) MarkCoordinatorUnknown();
                _ = nowMs;
                return null;
            default:
                return null;
        }
    }

    private KafkaException CommitFailed(WireErrorCode code, string reason) =>
        new(new Error(code.ToClientErrorCode(), $"commit failed in group {_settings.GroupId}: {reason}"));
}
