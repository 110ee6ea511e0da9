using Gregor.Client.Groups;

namespace Gregor.Client.Tests.Groups;

/// <summary>
/// Assignors on inputs whose results were worked out by hand from the algorithms Kafka documents
/// (the range and round-robin examples are the ones in Kafka's own javadoc).
/// </summary>
public sealed class AssignorVectorTests
{
    private static readonly IReadOnlyDictionary<string, int> TwoTopicsOfThree = new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 };

    [Fact]
    public void Range_gives_each_topic_consecutive_ranges_the_first_members_one_more()
    {
        var result = new RangeAssignor().Assign(TwoTopicsOfThree, [MemberSubscription.Of("C0", "t0", "t1"), MemberSubscription.Of("C1", "t0", "t1")]);
        Assert.Equal("t0-0 t0-1 t1-0 t1-1", Show(result["C0"]));
        Assert.Equal("t0-2 t1-2", Show(result["C1"]));
    }

    [Fact]
    public void Range_orders_static_members_by_instance_id_ahead_of_dynamic_ones()
    {
        var partitions = new Dictionary<string, int> { ["t"] = 5 };
        // Member ids sort the other way round; the instance ids decide, and the dynamic member comes last.
        var members = new[]
        {
            new MemberSubscription("a-dynamic", null, ["t"], []),
            new MemberSubscription("b-member", "i2", ["t"], []),
            new MemberSubscription("c-member", "i1", ["t"], []),
        };
        var result = new RangeAssignor().Assign(partitions, members);
        Assert.Equal("t-0 t-1", Show(result["c-member"]));
        Assert.Equal("t-2 t-3", Show(result["b-member"]));
        Assert.Equal("t-4", Show(result["a-dynamic"]));
    }

    [Fact]
    public void Range_skips_topics_without_metadata_and_counts_only_each_topics_subscribers()
    {
        var partitions = new Dictionary<string, int> { ["a"] = 2, ["b"] = 3 };
        var result = new RangeAssignor().Assign(partitions,
            [MemberSubscription.Of("m1", "a", "missing"), MemberSubscription.Of("m2", "a", "b")]);
        Assert.Equal("a-0", Show(result["m1"]));
        Assert.Equal("a-1 b-0 b-1 b-2", Show(result["m2"]));
    }

    [Fact]
    public void RoundRobin_deals_all_partitions_in_topic_order()
    {
        var result = new RoundRobinAssignor().Assign(TwoTopicsOfThree, [MemberSubscription.Of("C1", "t0", "t1"), MemberSubscription.Of("C0", "t0", "t1")]);
        Assert.Equal("t0-0 t0-2 t1-1", Show(result["C0"]));
        Assert.Equal("t0-1 t1-0 t1-2", Show(result["C1"]));
    }

    [Fact]
    public void RoundRobin_passes_the_turn_over_members_not_subscribed()
    {
        var partitions = new Dictionary<string, int> { ["t0"] = 1, ["t1"] = 2, ["t2"] = 3 };
        var result = new RoundRobinAssignor().Assign(partitions,
            [MemberSubscription.Of("C0", "t0"), MemberSubscription.Of("C1", "t0", "t1"), MemberSubscription.Of("C2", "t0", "t1", "t2")]);
        Assert.Equal("t0-0", Show(result["C0"]));
        Assert.Equal("t1-0", Show(result["C1"]));
        Assert.Equal("t1-1 t2-0 t2-1 t2-2", Show(result["C2"]));
    }

    [Fact]
    public void Sticky_fresh_group_deals_round_robin_up_to_the_quotas()
    {
        // 7 partitions over 3: quotas 2 and 3, one member gets 3. Dealt A B C A B C, then the
        // extra one to the first member that may take it.
        var result = new CooperativeStickyAssignor().Assign(new Dictionary<string, int> { ["t"] = 7 },
            [MemberSubscription.Of("C", "t"), MemberSubscription.Of("A", "t"), MemberSubscription.Of("B", "t")]);
        Assert.Equal("t-0 t-3 t-6", Show(result["A"]));
        Assert.Equal("t-1 t-4", Show(result["B"]));
        Assert.Equal("t-2 t-5", Show(result["C"]));
    }

    [Fact]
    public void Sticky_member_leaving_its_partitions_go_to_the_others_and_nothing_else_moves()
    {
        var partitions = new Dictionary<string, int> { ["t"] = 7 };
        var members = new[] { Owning("A", 1, "t", 0, 3, 6), Owning("B", 1, "t", 1, 4) };
        var result = new CooperativeStickyAssignor().Assign(partitions, members);
        // Quotas 3 and 4: B is below 3 and takes t-2; A (at 3) takes the last one. C is gone, so nothing is withheld.
        Assert.Equal("t-0 t-3 t-5 t-6", Show(result["A"]));
        Assert.Equal("t-1 t-2 t-4", Show(result["B"]));
    }

    [Fact]
    public void Cooperative_member_joining_gets_moved_partitions_only_after_their_owners_revoked_them()
    {
        var partitions = new Dictionary<string, int> { ["t"] = 8 };
        var assignor = new CooperativeStickyAssignor();
        // First rebalance: A and B keep three each; t-3 and t-7 are to move to C but A and B still own them.
        var first = assignor.Assign(partitions, [Owning("A", 3, "t", 0, 1, 2, 3), Owning("B", 3, "t", 4, 5, 6, 7), MemberSubscription.Of("C", "t")]);
        Assert.Equal("t-0 t-1 t-2", Show(first["A"]));
        Assert.Equal("t-4 t-5 t-6", Show(first["B"]));
        Assert.Empty(first["C"]);
        // A and B revoke, rejoin, and the next rebalance hands them over.
        var second = assignor.Assign(partitions, [Owning("A", 4, "t", 0, 1, 2), Owning("B", 4, "t", 4, 5, 6), Owning("C", 4, "t")]);
        Assert.Equal("t-0 t-1 t-2", Show(second["A"]));
        Assert.Equal("t-4 t-5 t-6", Show(second["B"]));
        Assert.Equal("t-3 t-7", Show(second["C"]));
    }

    [Fact]
    public void Sticky_claims_are_settled_by_generation_and_a_tie_frees_the_partition()
    {
        var partitions = new Dictionary<string, int> { ["t"] = 4 };
        // A (generation 5) keeps t-0 and t-1 against B (4), which keeps only t-2.
        var result = StickyAssignment.Assign(partitions, [Owning("A", 5, "t", 0, 1), Owning("B", 4, "t", 0, 1, 2)],
            CooperativeStickyAssignor.GenerationOf, out var claims);
        Assert.Equal("t-0 t-1", Show(claims.Valid["A"]));
        Assert.Equal("t-2", Show(claims.Valid["B"]));
        Assert.Empty(claims.Disputed);
        Assert.Equal("t-0 t-1", Show(result["A"]));
        Assert.Equal("t-2 t-3", Show(result["B"]));

        // Claimed by both in the same generation: neither keeps it.
        StickyAssignment.Assign(partitions, [Owning("A", 5, "t", 1), Owning("B", 5, "t", 1)], CooperativeStickyAssignor.GenerationOf, out claims);
        Assert.Equal("t-1", Show([.. claims.Disputed]));
        Assert.Empty(claims.Valid["A"]);
        Assert.Empty(claims.Valid["B"]);
    }

    [Fact]
    public void Sticky_general_case_shifts_work_along_a_chain_of_members()
    {
        // A takes only x, C only y, B both. A owns all of x and B all of y: A must pass two to B,
        // and B two of y to C, the fewest moves that balance 2-2-2.
        var partitions = new Dictionary<string, int> { ["x"] = 4, ["y"] = 2 };
        var members = new[]
        {
            new MemberSubscription("A", null, ["x"], Parts("x", 0, 1, 2, 3), 7),
            new MemberSubscription("B", null, ["x", "y"], Parts("y", 0, 1), 7),
            new MemberSubscription("C", null, ["y"], [], 7),
        };
        var sticky = StickyAssignment.Assign(partitions, members, CooperativeStickyAssignor.GenerationOf, out _);
        Assert.Equal("x-2 x-3", Show(sticky["A"]));
        Assert.Equal("x-0 x-1", Show(sticky["B"]));
        Assert.Equal("y-0 y-1", Show(sticky["C"]));
        // Cooperatively, everything that moves is still owned by someone: only what stays is handed out.
        var cooperative = new CooperativeStickyAssignor().Assign(partitions, members);
        Assert.Equal("x-2 x-3", Show(cooperative["A"]));
        Assert.Empty(cooperative["B"]);
        Assert.Empty(cooperative["C"]);
    }

    [Fact]
    public void Cooperative_generation_comes_from_the_subscription_else_from_java_or_librdkafka_user_data()
    {
        Assert.Equal(9, CooperativeStickyAssignor.GenerationOf(new MemberSubscription("m", null, ["t"], [], 9, null, [0, 0, 0, 1])));
        Assert.Equal(1, CooperativeStickyAssignor.GenerationOf(new MemberSubscription("m", null, ["t"], [], -1, null, [0, 0, 0, 1])));
        // librdkafka: [ "t" [0, 2] ] then generation 5.
        byte[] librdkafka = [0, 0, 0, 1, 0, 1, (byte)'t', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 5];
        Assert.Equal(5, CooperativeStickyAssignor.GenerationOf(new MemberSubscription("m", null, ["t"], [], -1, null, librdkafka)));
        Assert.Equal(-1, CooperativeStickyAssignor.GenerationOf(new MemberSubscription("m", null, ["t"], [], -1, null, librdkafka[..^1])));
        Assert.Equal(-1, CooperativeStickyAssignor.GenerationOf(new MemberSubscription("m", null, ["t"], [], -1, null, null)));
        Assert.Equal([0, 0, 0, 12], new CooperativeStickyAssignor().SubscriptionUserData(12));
    }

    [Fact]
    public void Strategy_names_map_to_assignors_and_mixing_in_an_eager_one_keeps_the_group_eager()
    {
        var config = new ConsumerConfig();
        config.Set("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor, roundrobin");
        var assignors = PartitionAssignors.FromStrategies(config.PartitionAssignmentStrategies);
        Assert.Equal(["cooperative-sticky", "roundrobin"], assignors.Select(a => a.Name));
        Assert.Equal(RebalanceProtocol.Eager, PartitionAssignors.ProtocolOf(assignors));
        Assert.Equal(RebalanceProtocol.Cooperative, PartitionAssignors.ProtocolOf(PartitionAssignors.FromStrategies([PartitionAssignmentStrategy.CooperativeSticky])));
        Assert.Equal(["range", "cooperative-sticky"], PartitionAssignors.FromStrategies(new ConsumerConfig().PartitionAssignmentStrategies).Select(a => a.Name));
    }

    internal static MemberSubscription Owning(string member, int generation, string topic, params int[] partitions) =>
        new(member, null, [topic], Parts(topic, partitions), generation);

    internal static List<TopicPartition> Parts(string topic, params int[] partitions) => [.. partitions.Select(p => new TopicPartition(topic, p))];

    internal static string Show(IEnumerable<TopicPartition> partitions) =>
        string.Join(" ", partitions.Order().Select(tp => tp.Topic + "-" + tp.Partition.Value));
}
