namespace Gregor.Client.Groups;

/// <summary>
/// The assignors of <c>partition.assignment.strategy</c>, by Kafka's protocol names or the Java
/// class names (as Java and librdkafka users write them), in the order given, which is the order
/// of preference sent in JoinGroup.
/// </summary>
internal static class PartitionAssignors
{
    public static IReadOnlyList<IPartitionAssignor> FromStrategies(IEnumerable<PartitionAssignmentStrategy> strategies)
    {
        var result = new List<IPartitionAssignor>();
        foreach (var strategy in strategies)
        {
            IPartitionAssignor assignor = strategy switch
            {
                PartitionAssignmentStrategy.RoundRobin => new RoundRobinAssignor(),
                PartitionAssignmentStrategy.CooperativeSticky => new CooperativeStickyAssignor(),
                _ => new RangeAssignor(),
            };
            if (!result.Any(a => a.Name == assignor.Name)) result.Add(assignor);
        }
        if (result.Count == 0) throw new ArgumentException("partition.assignment.strategy names no assignor");
        return result;
    }

    /// <summary>
    /// Cooperative only when every listed assignor supports it, as in Kafka: listing range with
    /// cooperative-sticky (the default) stays eager, the first step of the KIP-429 upgrade path.
    /// </summary>
    public static RebalanceProtocol ProtocolOf(IReadOnlyList<IPartitionAssignor> assignors) =>
        assignors.All(a => a.SupportsCooperative) ? RebalanceProtocol.Cooperative : RebalanceProtocol.Eager;
}
