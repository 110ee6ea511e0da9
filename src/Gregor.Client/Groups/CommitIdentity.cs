namespace Gregor.Client.Groups;

/// <summary>Who a commit says it comes from: the member's generation, member id and static instance id.</summary>
internal sealed record CommitIdentity(int GenerationId, string MemberId, string? GroupInstanceId);
