namespace Gregor.Client.Groups;

/// <summary>
/// Who owns what going into a sticky assignment. Each member claims the partitions it owns; a claim
/// counts only for a partition that still exists in a topic the member still subscribes to. Two
/// members claiming one partition is settled by generation: the higher keeps it; in the same
/// generation neither does (the partition is treated as moving), as Kafka's sticky assignor does.
/// </summary>
internal sealed class OwnershipClaims
{
    private OwnershipClaims(Dictionary<string, List<TopicPartition>> valid, HashSet<TopicPartition> disputed, Dictionary<TopicPartition, List<string>> claimants)
    {
        Valid = valid;
        Disputed = disputed;
        Claimants = claimants;
    }

    /// <summary>Per member, the partitions it keeps a claim to, sorted by partition number then topic.</summary>
    public IReadOnlyDictionary<string, List<TopicPartition>> Valid { get; }

    /// <summary>Partitions claimed by several members of the same (highest) generation.</summary>
    public IReadOnlySet<TopicPartition> Disputed { get; }

    /// <summary>Every member that says it owns a partition, valid claim or not (they must revoke before anyone else may take it).</summary>
    public IReadOnlyDictionary<TopicPartition, List<string>> Claimants { get; }

    public static OwnershipClaims Resolve(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> members, Func<MemberSubscription, int> generationOf)
    {
        var claimants = new Dictionary<TopicPartition, List<string>>();
        var best = new Dictionary<TopicPartition, (string Member, int Generation, bool Tied)>();
        foreach (var member in members)
        {
            int generation = generationOf(member);
            var topics = new HashSet<string>(member.Topics, StringComparer.Ordinal);
            foreach (var tp in member.OwnedPartitions.Distinct())
            {
                if (!claimants.TryGetValue(tp, out var who)) claimants[tp] = who = [];
                who.Add(member.MemberId);
                if (!topics.Contains(tp.Topic) || !partitionsPerTopic.TryGetValue(tp.Topic, out int count) || tp.Partition.Value < 0 || tp.Partition.Value >= count)
                    continue;
                if (!best.TryGetValue(tp, out var current) || generation > current.Generation)
                    best[tp] = (member.MemberId, generation, false);
                else if (generation == current.Generation)
                    best[tp] = current with { Tied = true };
            }
        }
        var valid = members.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>(), StringComparer.Ordinal);
        var disputed = new HashSet<TopicPartition>();
        foreach (var (tp, owner) in best)
        {
            if (owner.Tied) disputed.Add(tp);
            else valid[owner.Member].Add(tp);
        }
        foreach (var list in valid.Values) list.Sort(ByPartitionThenTopic);
        return new OwnershipClaims(valid, disputed, claimants);
    }

    /// <summary>Kafka keeps the lowest-numbered partitions across topics when a member must give some up.</summary>
    public static int ByPartitionThenTopic(TopicPartition a, TopicPartition b)
    {
        int byPartition = a.Partition.Value.CompareTo(b.Partition.Value);
        return byPartition != 0 ? byPartition : string.CompareOrdinal(a.Topic, b.Topic);
    }
}
