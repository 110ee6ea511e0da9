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
    GroupMemberIdentity Current { get; }
}

/// <summary>The identity of a consumer that is no group's member.</summary>
internal sealed class StandaloneMember : IGroupMemberIdentityProvider
{
    public static readonly StandaloneMember Instance = new();

    public GroupMemberIdentity Current => GroupMemberIdentity.Standalone;
}
