namespace Gregor.Client.Groups;

/// <summary>
/// One member's subscription as the leader reads it from the JoinGroup answer: its ids, the topics
/// it wants, and (consumer protocol v1+) the partitions it owns and the generation it owned them in
/// (v2+; -1 when unknown). <see cref="UserData"/> is the assignor's own bytes, kept for assignors
/// that learn the generation from it when the subscription is older than v2.
/// </summary>
internal sealed record MemberSubscription(
    string MemberId,
    string? GroupInstanceId,
    IReadOnlyList<string> Topics,
    IReadOnlyList<TopicPartition> OwnedPartitions,
    int GenerationId = -1,
    string? RackId = null,
    byte[]? UserData = null)
{
    public static MemberSubscription Of(string memberId, params string[] topics) => new(memberId, null, topics, []);
}
