namespace Gregor.Client.Groups;

/// <summary>What the consumer must do with partitions before the membership goes on.</summary>
internal enum RebalanceStepKind
{
    /// <summary>Give the partitions up: run the revoked handler, commit if auto-commit is on, stop fetching them.</summary>
    Revoke = 0,

    /// <summary>Take the partitions on: IncrementalAssign, fetch committed offsets, run the assigned handler.</summary>
    Assign = 1,

    /// <summary>The partitions are already someone else's: run the lost handler and drop them, no commit.</summary>
    Lost = 2,
}

/// <summary>
/// One step of a rebalance that the consumer carries out on its own thread (where the user's handlers
/// run) and then reports done with <see cref="IGroupMembership.Complete"/>. Each step is its own
/// object; completing a step other than the one handed out is an error.
/// </summary>
internal sealed class RebalanceStep
{
    public RebalanceStep(RebalanceStepKind kind, IReadOnlyList<TopicPartition> partitions, int generationId)
    {
        Kind = kind;
        Partitions = partitions;
        GenerationId = generationId;
    }

    public RebalanceStepKind Kind { get; }

    /// <summary>The partitions, sorted by topic then partition.</summary>
    public IReadOnlyList<TopicPartition> Partitions { get; }

    /// <summary>The generation the step belongs to (-1 when the member has none).</summary>
    public int GenerationId { get; }

    public override string ToString() => $"{Kind} [{string.Join(", ", Partitions)}] (generation {GenerationId})";
}
