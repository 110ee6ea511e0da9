namespace Gregor.Client.Groups;

/// <summary>
/// Kafka's <c>roundrobin</c> strategy: every subscribed partition, topics in ordinal order and
/// partitions in number order, is dealt in turn to the members in <see cref="MemberOrder"/>, a
/// member that does not subscribe to the partition's topic being skipped (the turn passes on).
/// </summary>
internal sealed class RoundRobinAssignor : IPartitionAssignor
{
    public const string ProtocolName = "roundrobin";

    public string Name => ProtocolName;

    public bool SupportsCooperative => false;

    public byte[]? SubscriptionUserData(int generationId) => null;

    public IReadOnlyDictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> members)
    {
        var assignment = members.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>(), StringComparer.Ordinal);
        if (members.Count == 0) return assignment;
        var ordered = MemberOrder.Sorted(members);
        var subscribed = ordered.Select(m => new HashSet<string>(m.Topics, StringComparer.Ordinal)).ToArray();
        var topics = new SortedSet<string>(members.SelectMany(m => m.Topics), StringComparer.Ordinal);
        int next = 0;
        foreach (string topic in topics)
        {
            if (!partitionsPerTopic.TryGetValue(topic, out int partitions)) continue;
            for (int p = 0; p < partitions; p++)
            {
                // Someone subscribes to every topic in the set, so this finds a member within one turn.
                while (!subscribed[next].Contains(topic)) next = (next + 1) % ordered.Count;
                assignment[ordered[next].MemberId].Add(new TopicPartition(topic, p));
                next = (next + 1) % ordered.Count;
            }
        }
        return assignment;
    }
}
