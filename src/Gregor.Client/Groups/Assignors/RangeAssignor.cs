namespace Gregor.Client.Groups;

/// <summary>
/// Kafka's <c>range</c> strategy, topic by topic: the topic's subscribers in <see cref="MemberOrder"/>
/// get consecutive ranges of its partitions, the first (partitions mod subscribers) of them one more.
/// Without racks this is exactly what Kafka's RangeAssignor hands out (rack-aware placement is not
/// done here: Gregor's metadata carries no racks).
/// </summary>
internal sealed class RangeAssignor : IPartitionAssignor
{
    public const string ProtocolName = "range";

    public string Name => ProtocolName;

    public bool SupportsCooperative => false;

    public byte[]? SubscriptionUserData(int generationId) => null;

    public IReadOnlyDictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> members)
    {
        var assignment = members.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>(), StringComparer.Ordinal);
        var subscribers = new SortedDictionary<string, List<MemberSubscription>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (string topic in member.Topics.Distinct(StringComparer.Ordinal))
            {
                if (!subscribers.TryGetValue(topic, out var list)) subscribers[topic] = list = [];
                list.Add(member);
            }
        }
        foreach (var (topic, consumers) in subscribers)
        {
            if (!partitionsPerTopic.TryGetValue(topic, out int partitions) || partitions <= 0) continue;
            consumers.Sort(MemberOrder.Instance);
            int perConsumer = partitions / consumers.Count;
            int withExtra = partitions % consumers.Count;
            for (int i = 0; i < consumers.Count; i++)
            {
                int start = (perConsumer * i) + Math.Min(i, withExtra);
                int length = perConsumer + (i < withExtra ? 1 : 0);
                var target = assignment[consumers[i].MemberId];
                for (int p = start; p < start + length; p++) target.Add(new TopicPartition(topic, p));
            }
        }
        return assignment;
    }
}
