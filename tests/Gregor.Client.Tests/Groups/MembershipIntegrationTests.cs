using Gregor.Client.Consumer;
using System.Collections.Concurrent;
using System.Diagnostics;
using Gregor.Client.Admin;
using Gregor.Client.Groups;
using Gregor.Client.Tests.Integration;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Groups;

/// <summary>
/// Group memberships (each under a test double of the consumer) against an in-process broker:
/// they converge on a generation in which each partition has exactly one owner, take over from
/// a member that leaves, and move as little as cooperative-sticky promises.
/// </summary>
public sealed class MembershipIntegrationTests
{
    internal static readonly string[] BrokerSettings = ["group.initial.rebalance.delay.ms=0", "auto.create.topics.enable=false"];

    internal static MembershipSettings Settings(string group, string strategy, string? instance = null) => new()
    {
        GroupId = group,
        GroupInstanceId = instance,
        SessionTimeout = TimeSpan.FromSeconds(6),
        HeartbeatInterval = TimeSpan.FromMilliseconds(300),
        MaxPollInterval = TimeSpan.FromSeconds(30),
        Assignors = strategy == "range" ? [new RangeAssignor()] : [new CooperativeStickyAssignor()],
    };

    internal static async Task CreateTopicAsync(ClientTestBroker broker, string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    [Theory]
    [InlineData("range")]
    [InlineData("cooperative-sticky")]
    public async Task Three_members_split_six_partitions_and_the_others_take_over_from_one_that_leaves(string strategy)
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "orders", 6);
        var holders = new ConcurrentDictionary<TopicPartition, string>();
        var members = new List<TestGroupConsumer>();
        try
        {
            foreach (string name in new[] { "a", "b", "c" })
                members.Add(new TestGroupConsumer(name, broker.Bootstrap, Settings("g-" + strategy, strategy), ["orders"], holders));
            var first = await ConvergedAsync(members, "orders", 6);
            Assert.All(first.Values, held => Assert.Equal(2, held.Count));
            Assert.Single(members, m => m.Membership.IsLeader);

            var leaving = members[1];
            await leaving.CloseAsync();
            members.Remove(leaving);
            var after = await ConvergedAsync(members, "orders", 6);
            Assert.All(after.Values, held => Assert.Equal(3, held.Count));
            if (strategy == "cooperative-sticky")
            {
                // Sticky: the survivors kept everything they had; only the leaver's partitions moved.
                foreach (var m in members) Assert.Superset(first[m.Name], after[m.Name]);
            }
            Assert.All(members, m => Assert.Empty(m.Violations));
            Assert.All(members, m => Assert.Empty(m.Errors));
        }
        finally
        {
            foreach (var m in members) await m.DisposeAsync();
        }
    }

    [Fact]
    public async Task Cooperative_sticky_moves_only_what_a_new_member_must_take_and_never_two_owners_at_once()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "events", 6);
        var holders = new ConcurrentDictionary<TopicPartition, string>();
        var members = new List<TestGroupConsumer>();
        try
        {
            members.Add(new TestGroupConsumer("a", broker.Bootstrap, Settings("coop", "cooperative-sticky"), ["events"], holders));
            members.Add(new TestGroupConsumer("b", broker.Bootstrap, Settings("coop", "cooperative-sticky"), ["events"], holders));
            var before = await ConvergedAsync(members, "events", 6);
            members.Add(new TestGroupConsumer("c", broker.Bootstrap, Settings("coop", "cooperative-sticky"), ["events"], holders));
            var after = await ConvergedAsync(members, "events", 6);
            Assert.All(after.Values, held => Assert.Equal(2, held.Count));
            // a and b each give up exactly one partition (3 → 2) and keep the rest.
            Assert.Equal(2, after["a"].Intersect(before["a"]).Count());
            Assert.Equal(2, after["b"].Intersect(before["b"]).Count());
            // The two moves took a second rebalance: revoke first, hand over after (KIP-429).
            Assert.Contains(members[0].Log.Concat(members[1].Log), line => line.StartsWith("Revoke", StringComparison.Ordinal));
            Assert.All(members, m => Assert.Empty(m.Violations));
        }
        finally
        {
            foreach (var m in members) await m.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_static_member_that_comes_back_gets_its_partitions_without_a_rebalance()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "static", 4);
        var holders = new ConcurrentDictionary<TopicPartition, string>();
        var a = new TestGroupConsumer("a", broker.Bootstrap, Settings("st", "range", "instance-a"), ["static"], holders);
        var b = new TestGroupConsumer("b", broker.Bootstrap, Settings("st", "range", "instance-b"), ["static"], holders);
        TestGroupConsumer? again = null;
        try
        {
            var first = await ConvergedAsync([a, b], "static", 4);
            int generation = b.Membership.GenerationId;
            // Closing a static member sends no LeaveGroup: the group stays as it is...
            await a.CloseAsync();
            holders.Clear();
            foreach (var tp in b.Held) holders[tp] = "b";
            // The coordinator keeps a's place: Stable with both static members, no rebalance begun.
            var group = await GroupTestSupport.DescribeGroupAsync(broker, "st");
            Assert.Equal(ConsumerGroupState.Stable, group?.State);
            Assert.Equal(["instance-a", "instance-b"], group!.Members.Select(m => m.GroupInstanceId).Order());
            Assert.Equal(generation, b.Membership.GenerationId);
            Assert.Equal(MembershipState.Stable, b.Membership.State);
            // ...and the same instance id, back within the session timeout, takes its place and its partitions.
            again = new TestGroupConsumer("a", broker.Bootstrap, Settings("st", "range", "instance-a"), ["static"], holders);
            var back = await ConvergedAsync([again, b], "static", 4);
            Assert.Equal(first["a"], back["a"]);
            Assert.Equal(generation, b.Membership.GenerationId);
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            if (again is not null) await again.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_coordinator_accepts_commits_with_the_membership_identity_and_a_stale_one_fails_the_commit()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "commits", 2);
        var a = new TestGroupConsumer("a", broker.Bootstrap, Settings("cg", "range"), ["commits"]);
        TestGroupConsumer? b = null;
        await using var connection = await BrokerConnection.ConnectAsync(BrokerEndpoint.Parse(broker.Bootstrap), new ConnectionSettings(), CancellationToken.None);
        try
        {
            await ConvergedAsync([a], "commits", 2);
            var who = a.Membership.GetCommitIdentity();
            Assert.Equal(WireErrorCode.None, await CommitAsync(connection, "cg", who));

            // Another member joins: a new generation; a commit still carrying the old one is refused.
            b = new TestGroupConsumer("b", broker.Bootstrap, Settings("cg", "range"), ["commits"]);
            await ConvergedAsync([a, b], "commits", 2);
            var refused = await CommitAsync(connection, "cg", who);
            Assert.Equal(WireErrorCode.IllegalGeneration, refused);
            var error = a.Membership.OnCommitError(refused, who);
            Assert.Equal(ErrorCode.IllegalGeneration, error!.Error.Code);
            Assert.Equal(WireErrorCode.None, await CommitAsync(connection, "cg", a.Membership.GetCommitIdentity()));
        }
        finally
        {
            await a.DisposeAsync();
            if (b is not null) await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Heartbeats_keep_a_busy_member_in_until_max_poll_interval_then_it_leaves_and_rejoins_at_its_next_poll()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "slow", 4);
        // max.poll.interval.ms far beyond the session timeout, so the watch below ends long before a may leave.
        var settings = Settings("busy", "range") with { MaxPollInterval = TimeSpan.FromSeconds(20) };
        var a = new TestGroupConsumer("a", broker.Bootstrap, settings, ["slow"]);
        var b = new TestGroupConsumer("b", broker.Bootstrap, Settings("busy", "range"), ["slow"]);
        try
        {
            await ConvergedAsync([a, b], "slow", 4);
            int generation = b.Membership.GenerationId;
            // a's application is stuck for longer than the session timeout: the background heartbeats keep it in
            // all along, in the same generation.
            a.Paused = true;
            var paused = Stopwatch.StartNew();
            while (paused.Elapsed < settings.SessionTimeout + TimeSpan.FromSeconds(1.5))
            {
                Assert.Equal(MembershipState.Stable, a.Membership.State);
                Assert.Equal(generation, b.Membership.GenerationId);
                await Task.Delay(100);
            }
            // Past max.poll.interval.ms it leaves, and b takes everything without waiting for a's session to run out.
            await ConvergedAsync([b], "slow", 4);
            Assert.Equal(MembershipState.PreparingRebalance, a.Membership.State);
            Assert.Equal("", a.Membership.MemberId);
            // Its next poll hands the consumer the loss, and it joins again.
            a.Paused = false;
            var back = await ConvergedAsync([a, b], "slow", 4);
            Assert.Equal(2, back["a"].Count);
            Assert.Contains(a.Log, line => line.StartsWith("Lost", StringComparison.Ordinal));
            Assert.Contains(a.Errors, e => e.Error.Code == ErrorCode.Local_MaxPollExceeded);
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Members_find_the_coordinator_again_after_the_broker_restarts()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "restart", 4);
        var holders = new ConcurrentDictionary<TopicPartition, string>();
        var a = new TestGroupConsumer("a", broker.Bootstrap, Settings("rs", "cooperative-sticky"), ["restart"], holders);
        var b = new TestGroupConsumer("b", broker.Bootstrap, Settings("rs", "cooperative-sticky"), ["restart"], holders);
        TestGroupConsumer? c = null;
        try
        {
            await ConvergedAsync([a, b], "restart", 4);
            await broker.StopAsync();
            // Both lose the coordinator with its connection (their next heartbeat fails) before it comes back.
            await GroupTestSupport.WaitUntilAsync(() => a.Membership.Coordinator is null && b.Membership.Coordinator is null,
                () => $"the members still have a coordinator: a {a.Membership.Coordinator}, b {b.Membership.Coordinator}");
            await broker.StartAgainAsync();
            await GroupTestSupport.WaitUntilAsync(() => a.Membership.Coordinator is not null && b.Membership.Coordinator is not null,
                () => $"the members found no coordinator again: a {a.Membership.Coordinator}, b {b.Membership.Coordinator}");
            await ConvergedAsync([a, b], "restart", 4);
            // The group works on with the restarted coordinator: a newcomer gets its share.
            c = new TestGroupConsumer("c", broker.Bootstrap, Settings("rs", "cooperative-sticky"), ["restart"], holders);
            var after = await ConvergedAsync([a, b, c], "restart", 4);
            Assert.NotEmpty(after["c"]);
            Assert.All(new[] { a, b, c }, m => Assert.Empty(m.Violations));
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            if (c is not null) await c.DisposeAsync();
        }
    }

    private static async Task<WireErrorCode> CommitAsync(BrokerConnection connection, string group, GroupMemberIdentity who)
    {
        var request = new OffsetCommitRequest
        {
            GroupId = group,
            GenerationIdOrMemberEpoch = who.GenerationId,
            MemberId = who.MemberId,
            GroupInstanceId = who.GroupInstanceId,
            Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic
            {
                Name = "commits",
                Partitions = [new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = 0, CommittedOffset = 1 }],
            }],
        };
        short version = connection.Versions.Highest(ApiKey.OffsetCommit);
        var response = await connection.SendAsync<OffsetCommitRequest, OffsetCommitResponse>(request, version);
        return (WireErrorCode)response.Topics.Single().Partitions.Single().ErrorCode;
    }

    /// <summary>
    /// Waits until every member is Stable in one generation and their partitions are disjoint and
    /// cover the topic; returns each member's partitions.
    /// </summary>
    internal static async Task<Dictionary<string, HashSet<TopicPartition>>> ConvergedAsync(IReadOnlyList<TestGroupConsumer> members, string topic, int partitions)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            var held = members.ToDictionary(m => m.Name, m => new HashSet<TopicPartition>(m.Held));
            var generations = members.Select(m => (m.Membership.State, m.Membership.GenerationId, m.Membership.Assignment.Count)).ToList();
            bool stable = generations.All(g => g.State == MembershipState.Stable) && generations.Select(g => g.GenerationId).Distinct().Count() == 1
                && members.All(m => !m.Membership.RejoinNeeded)
                && members.All(m => !m.Membership.Assignment.Except(m.Held).Any() && m.Held.Count == m.Membership.Assignment.Count);
            int total = held.Values.Sum(h => h.Count);
            var union = held.Values.SelectMany(h => h).ToHashSet();
            if (stable && total == partitions && union.Count == partitions && union.All(tp => tp.Topic == topic))
                return held;
            last = string.Join("; ", members.Select(m => $"{m.Name}: {m.Membership.State} g{m.Membership.GenerationId} [{string.Join(",", m.Held.Select(p => p.Partition.Value))}] log {string.Join(" | ", m.Log)} errors {string.Join(" | ", m.Errors.Select(e => e.Message))}"));
            await Task.Delay(50);
        }
        Assert.Fail("no converged generation within 40 s: " + last);
        return null!;
    }
}
