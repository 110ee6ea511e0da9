using Gregor.Client.Groups;

namespace Gregor.Client.Tests.Groups;

/// <summary>
/// Assignors over hundreds of random groups (random topics, partition counts, members, static ids
/// and subscriptions, seeded so a failure names its seed): completeness, balance, stickiness across
/// membership changes, and KIP-429's rule that nothing is handed out while another member owns it.
/// </summary>
public sealed class AssignorPropertyTests
{
    private const int Seeds = 300;

    [Fact]
    public void Every_assignor_gives_each_subscribed_partition_to_exactly_one_subscriber()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            var (partitions, members) = RandomGroup(random, sameSubscriptions: random.Next(2) == 0);
            foreach (IPartitionAssignor assignor in new IPartitionAssignor[] { new RangeAssignor(), new RoundRobinAssignor(), new CooperativeStickyAssignor() })
                CheckComplete(assignor.Assign(partitions, members), partitions, members, $"{assignor.Name}, seed {seed}");
        }
    }

    [Fact]
    public void Assignments_are_balanced_as_each_strategy_promises()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            bool same = random.Next(2) == 0;
            var (partitions, members) = RandomGroup(random, same);
            var range = new RangeAssignor().Assign(partitions, members);
            foreach (var (topic, count) in partitions)
            {
                var perMember = members.Where(m => m.Topics.Contains(topic)).Select(m => range[m.MemberId].Count(tp => tp.Topic == topic)).ToList();
                if (perMember.Count > 0) Assert.True(perMember.Max() - perMember.Min() <= 1, $"range: topic {topic} unbalanced, seed {seed}");
            }
            var sticky = new CooperativeStickyAssignor().Assign(partitions, members);
            if (same)
            {
                var roundRobin = new RoundRobinAssignor().Assign(partitions, members);
                Assert.True(Spread(roundRobin) <= 1, $"roundrobin unbalanced, seed {seed}");
                Assert.True(Spread(sticky) <= 1, $"sticky unbalanced, seed {seed}");
            }
            else
            {
                AssertNoMoveImprovesBalance(sticky, members, $"seed {seed}");
            }
        }
    }

    [Fact]
    public void Sticky_survivors_keep_all_their_partitions_when_a_member_leaves()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            var (partitions, members) = RandomGroup(random, sameSubscriptions: true);
            if (members.Count < 2) continue;
            var (owned, generation) = Converge(partitions, members, new Dictionary<string, List<TopicPartition>>(), 1, $"seed {seed}");
            var leaver = members[random.Next(members.Count)];
            var survivors = members.Where(m => m != leaver).ToList();
            var after = new CooperativeStickyAssignor().Assign(partitions, WithOwned(survivors, owned, generation));
            foreach (var m in survivors)
                Assert.True(owned[m.MemberId].All(after[m.MemberId].Contains), $"seed {seed}: {m.MemberId} lost a partition when {leaver.MemberId} left");
            CheckComplete(after, partitions, survivors, $"seed {seed}");
            Assert.True(Spread(after) <= 1, $"seed {seed}: unbalanced after a member left");
        }
    }

    [Fact]
    public void Sticky_members_keep_their_partitions_up_to_the_new_quota_when_a_member_joins()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            var (partitions, members) = RandomGroup(random, sameSubscriptions: true);
            var (owned, generation) = Converge(partitions, members, new Dictionary<string, List<TopicPartition>>(), 1, $"seed {seed}");
            var joiner = new MemberSubscription("joiner-" + seed, null, members[0].Topics, []);
            var all = WithOwned(members, owned, generation).Append(joiner).ToList();
            int total = partitions.Where(p => members[0].Topics.Contains(p.Key)).Sum(p => p.Value);
            int minQuota = total / all.Count;
            var sticky = StickyAssignment.Assign(partitions, all, CooperativeStickyAssignor.GenerationOf, out _);
            foreach (var m in members)
            {
                int kept = owned[m.MemberId].Count(sticky[m.MemberId].Contains);
                Assert.True(kept >= Math.Min(owned[m.MemberId].Count, minQuota), $"seed {seed}: {m.MemberId} kept {kept} of {owned[m.MemberId].Count} (quota {minQuota})");
            }
        }
    }

    [Fact]
    public void Cooperative_never_hands_out_a_partition_another_member_owns_and_settles_within_two_rebalances()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var random = new Random(seed);
            bool same = random.Next(2) == 0;
            var (partitions, members) = RandomGroup(random, same);
            var owned = new Dictionary<string, List<TopicPartition>>();
            int generation = 1;
            for (int change = 0; change < 6; change++)
            {
                (owned, generation) = Converge(partitions, members, owned, generation, $"seed {seed}, change {change}");
                CheckComplete(owned, partitions, members, $"seed {seed}, change {change}");
                members = Change(random, members, partitions.Keys.ToList(), same);
                owned = owned.Where(o => members.Any(m => m.MemberId == o.Key)).ToDictionary();
            }
        }
    }

    /// <summary>
    /// Rebalances until no member's assignment changes, checking each round that a partition given
    /// to a member is not owned by another; the members' owned partitions become what they were given.
    /// </summary>
    private static (Dictionary<string, List<TopicPartition>> Owned, int Generation) Converge(
        IReadOnlyDictionary<string, int> partitions, IReadOnlyList<MemberSubscription> members, Dictionary<string, List<TopicPartition>> owned, int generation, string where)
    {
        var assignor = new CooperativeStickyAssignor();
        for (int round = 0; round < 3; round++)
        {
            var input = WithOwned(members, owned, generation);
            var result = assignor.Assign(partitions, input);
            foreach (var m in input)
            {
                foreach (var tp in result[m.MemberId].Where(tp => !m.OwnedPartitions.Contains(tp)))
                    Assert.False(input.Any(o => o.MemberId != m.MemberId && o.OwnedPartitions.Contains(tp)),
                        $"{where}: {tp} given to {m.MemberId} while another member owns it");
            }
            generation++;
            bool settled = input.All(m => m.OwnedPartitions.Count == result[m.MemberId].Count && m.OwnedPartitions.All(result[m.MemberId].Contains));
            owned = result.ToDictionary(r => r.Key, r => r.Value);
            if (settled) return (owned, generation);
        }
        Assert.Fail($"{where}: still moving partitions after three rebalances");
        return default;
    }

    private static List<MemberSubscription> WithOwned(IEnumerable<MemberSubscription> members, IReadOnlyDictionary<string, List<TopicPartition>> owned, int generation) =>
        [.. members.Select(m => m with { OwnedPartitions = owned.GetValueOrDefault(m.MemberId) ?? [], GenerationId = generation - 1 })];

    private static List<MemberSubscription> Change(Random random, List<MemberSubscription> members, List<string> topics, bool same)
    {
        var next = new List<MemberSubscription>(members);
        int what = random.Next(3);
        if ((what == 0 && next.Count > 1) || next.Count > 8)
        {
            next.RemoveAt(random.Next(next.Count));
        }
        else if (what == 1 || same)
        {
            next.Add(new MemberSubscription("new-" + random.Next(1_000_000), null, same ? next[0].Topics : RandomTopics(random, topics), []));
        }
        else
        {
            int i = random.Next(next.Count);
            next[i] = next[i] with { Topics = RandomTopics(random, topics) };
        }
        return next;
    }

    private static (Dictionary<string, int> Partitions, List<MemberSubscription> Members) RandomGroup(Random random, bool sameSubscriptions)
    {
        var partitions = new Dictionary<string, int>();
        int topicCount = random.Next(1, 5);
        for (int t = 0; t < topicCount; t++) partitions["topic-" + (char)('a' + t)] = random.Next(1, 13);
        var topics = partitions.Keys.ToList();
        if (random.Next(4) == 0) topics.Add("not-created");
        var shared = RandomTopics(random, topics);
        var members = new List<MemberSubscription>();
        int memberCount = random.Next(1, 9);
        for (int i = 0; i < memberCount; i++)
        {
            string? instance = random.Next(3) == 0 ? "instance-" + random.Next(100) + "-" + i : null;
            members.Add(new MemberSubscription("member-" + random.Next(1_000_000) + "-" + i, instance, sameSubscriptions ? shared : RandomTopics(random, topics), []));
        }
        return (partitions, members);
    }

    private static List<string> RandomTopics(Random random, List<string> topics)
    {
        var chosen = topics.Where(_ => random.Next(2) == 0).ToList();
        return chosen.Count > 0 ? chosen : [topics[random.Next(topics.Count)]];
    }

    private static void CheckComplete(IReadOnlyDictionary<string, List<TopicPartition>> assignment, IReadOnlyDictionary<string, int> partitions, IReadOnlyList<MemberSubscription> members, string where)
    {
        Assert.Equal(members.Select(m => m.MemberId).Order(StringComparer.Ordinal), assignment.Keys.Order(StringComparer.Ordinal));
        var seen = new HashSet<TopicPartition>();
        foreach (var m in members)
        {
            foreach (var tp in assignment[m.MemberId])
            {
                Assert.True(seen.Add(tp), $"{where}: {tp} assigned twice");
                Assert.True(m.Topics.Contains(tp.Topic), $"{where}: {tp} given to {m.MemberId}, which does not subscribe to it");
            }
        }
        int expected = partitions.Where(p => members.Any(m => m.Topics.Contains(p.Key))).Sum(p => p.Value);
        Assert.True(seen.Count == expected, $"{where}: {seen.Count} of {expected} partitions assigned");
    }

    private static int Spread(IReadOnlyDictionary<string, List<TopicPartition>> assignment) =>
        assignment.Count == 0 ? 0 : assignment.Values.Max(l => l.Count) - assignment.Values.Min(l => l.Count);

    private static void AssertNoMoveImprovesBalance(IReadOnlyDictionary<string, List<TopicPartition>> assignment, IReadOnlyList<MemberSubscription> members, string where)
    {
        foreach (var from in members)
            foreach (var tp in assignment[from.MemberId])
                foreach (var to in members.Where(m => m.Topics.Contains(tp.Topic)))
                    Assert.True(assignment[to.MemberId].Count >= assignment[from.MemberId].Count - 1,
                        $"{where}: {tp} could move from {from.MemberId} ({assignment[from.MemberId].Count}) to {to.MemberId} ({assignment[to.MemberId].Count})");
    }
}
