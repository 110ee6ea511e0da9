namespace Gregor.Cli.Output;

// What the group commands print; the same view goes to a table or JSON. Null stands for "none" ("-" in a table).

internal sealed record GroupListingView(string GroupId, string State, bool IsSimpleConsumerGroup);

/// <summary>A partition of a group: committed offset, log end, lag (log end − committed) and the member it is assigned to.</summary>
internal sealed record GroupPartitionView(string Topic, int Partition, long? CurrentOffset, long? LogEndOffset, long? Lag,
    string? ConsumerId, string? Host, string? ClientId);

internal sealed record GroupOffsetsView(string Group, string State, IReadOnlyList<GroupPartitionView> Partitions);

internal sealed record AssignedPartitionView(string Topic, int Partition);

internal sealed record GroupMemberView(string ConsumerId, string? GroupInstanceId, string Host, string ClientId, IReadOnlyList<AssignedPartitionView> Assignment);

internal sealed record GroupMembersView(string Group, string State, IReadOnlyList<GroupMemberView> Members);

internal sealed record GroupStateView(string Group, int CoordinatorId, string Coordinator, string AssignmentStrategy, string State, int Members);

internal sealed record ResetPartitionView(string Topic, int Partition, long? CurrentOffset, long NewOffset);

/// <summary>A reset's plan, and whether it was applied.</summary>
internal sealed record ResetPlanView(string Group, bool Executed, IReadOnlyList<ResetPartitionView> Partitions);

internal sealed record GroupActionView(string Action, string Group);
