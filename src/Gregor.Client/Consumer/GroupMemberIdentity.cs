using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>Who commits offsets: the group generation and member id an OffsetCommit carries, and the static instance id.</summary>
internal readonly record struct GroupMemberIdentity(int GenerationId, string MemberId, string? GroupInstanceId)
{
    /// <summary>A consumer outside any group's membership (Kafka's "standalone" consumer): generation -1, no member id.</summary>
    public static GroupMemberIdentity Standalone { get; } = new(-1, "", null);
}

/// <summary>
/// Supplies the identity commits are made under. The consumer alone commits as <see cref="GroupMemberIdentity.Standalone"/>;
/// group membership, once it owns the consumer, provides the current generation and member id instead.
/// </summary>
internal interface IGroupMemberIdentityProvider
{
    /// <summary>The identity to commit under now (a member may throw here while it is in no generation).</summary>
    GroupMemberIdentity Current { get; }

    /// <summary>The identity to commit under now, or false while there is none (auto-commit then waits for the next round).</summary>
    bool TryGetCurrent(out GroupMemberIdentity identity);

    /// <summary>
    /// Hears how the coordinator refused a commit made under <paramref name="used"/> (e.g. ILLEGAL_GENERATION after
    /// a rebalance) and returns the exception the commit should throw instead of the per-partition one, or null.
    /// </summary>
    KafkaException? OnCommitError(WireErrorCode code, GroupMemberIdentity used);
}

/// <summary>The identity of a consumer that is no group's member.</summary>
internal sealed class StandaloneMember : IGroupMemberIdentityProvider
{
    public static readonly StandaloneMember Instance = new();

    public GroupMemberIdentity Current => GroupMemberIdentity.Standalone;

    public bool TryGetCurrent(out GroupMemberIdentity identity)
    {
        identity = GroupMemberIdentity.Standalone;
        return true;
    }

    public KafkaException? OnCommitError(WireErrorCode code, GroupMemberIdentity used) => null;
}
