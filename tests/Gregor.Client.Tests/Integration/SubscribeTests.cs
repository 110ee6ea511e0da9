using System.Collections.Concurrent;
using static Gregor.Client.Tests.Integration.ConsumerTestSupport;
using static Gregor.Client.Tests.Integration.GroupTestSupport;

namespace Gregor.Client.Tests.Integration;

/// <summary>
/// Gregor consumers subscribed to topics as members of a group, against an in-process broker: they share the
/// partitions, take over at committed offsets, and give partitions up as the group decides.
/// </summary>
public sealed class SubscribeTests
{
    [Theory]
    [InlineData("range")]
    [InlineData("cooperative-sticky")]
    public async Task Three_members_split_six_partitions_and_the_others_resume_a_closed_ones_partitions_at_its_commits(string strategy)
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        const string topic = "split";
        await CreateTopicAsync(broker, topic, 6);
        await ProduceToEveryPartitionAsync(broker, topic, 6, 50);
        var holders = new ConcurrentDictionary<TopicPartition, string>();
        var members = new List<SubscribedConsumer>();
        try
        {
            foreach (string name in new[] { "a", "b", "c" })
                members.Add(new SubscribedConsumer(name, MemberConfig(broker, "split-" + strategy, strategy), [topic], holders));
            await WaitUntilAsync(() => members.Sum(m => m.Records.Count) >= 300 && Split(members, topic, 6) && members.All(m => m.Held.Count == 2),
                () => Describe(members));
            var first = members.ToDictionary(m => m.Name, m => m.Held);
            var stepsBefore = members.ToDictionary(m => m.Name, m => m.Rebalances.Count);

            // b closes: revoked handler, a commit of what it read, LeaveGroup. a and c take its partitions from there.
            var b = members[1];
            b.Close();
            members.Remove(b);
            await WaitUntilAsync(() => Split(members, topic, 6), () => Describe(members));
            await ProduceToEveryPartitionAsync(broker, topic, 6, 50, first: 50);
            var everyone = members.Append(b).ToList();
            await WaitUntilAsync(async () => ReadToTheEnd(everyone, members, 6, 100) && await SettledAsync(broker, "split-" + strategy, members, topic, 6),
                () => Describe(everyone));

            // Every offset of every partition read exactly once: no gap at the handover, no record read twice.
            var all = everyone.SelectMany(m => m.Records).ToList();
            for (int p = 0; p < 6; p++)
                Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), all.Where(r => r.Partition == p).Select(r => r.Offset).Order());
            Assert.All(all, r => Assert.True(r.Held, $"{r.Member} read {r.Topic} [{r.Partition}] @{r.Offset} without holding it"));
            foreach (var tp in first["b"])
                Assert.DoesNotContain(b.Records, r => r.Partition == tp.Partition.Value && r.Offset >= 50);
            Assert.All(members, m => Assert.Equal(3, m.Held.Count));
            if (strategy == "cooperative-sticky")
            {
                // Sticky: a and c kept what they had; only b's partitions moved, and they never gave anything up.
                foreach (var m in members) Assert.Superset(first[m.Name].ToHashSet(), m.Held.ToHashSet());
                Assert.All(members, m => Assert.DoesNotContain(m.Rebalances.Skip(stepsBefore[m.Name]), r => r.Kind == "revoked"));
            }
            Assert.All(everyone, m => Assert.Empty(m.Violations));
            Assert.All(everyone, m => Assert.Empty(m.Errors));
        }
        finally
        {
            foreach (var m in members) m.Dispose();
        }
    }

    [Fact]
    public async Task A_restarted_consumer_resumes_at_the_committed_offset()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "resume", 1);
        await ProduceAsync(broker, "resume", 0, 100);
        using (var first = new ConsumerBuilder<string, string>(MemberConfig(broker, "resume", settings: ("enable.auto.commit", "false"))).Build())
        {
            first.Subscribe("resume");
            Assert.Equal(["resume"], first.Subscription);
            var read = Take(first, 40);
            Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), read.Select(r => r.Offset.Value));
            Assert.NotEqual("", first.MemberId);
            Assert.Equal(40, Assert.Single(await first.CommitAsync()).Offset.Value);
            first.Close();
        }
        using var second = new ConsumerBuilder<string, string>(MemberConfig(broker, "resume", settings: ("enable.auto.commit", "false"))).Build();
        second.Subscribe("resume");
        Assert.Equal(40, Take(second, 1).Single().Offset.Value);
        second.Close();
    }

    [Fact]
    public async Task Auto_commit_commits_what_was_consumed_under_the_members_identity()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "autocommit", 2);
        await ProduceToEveryPartitionAsync(broker, "autocommit", 2, 20);
        using var consumer = new ConsumerBuilder<string, string>(MemberConfig(broker, "autocommit", settings: ("auto.commit.interval.ms", "200"))).Build();
        consumer.Subscribe("autocommit");
        Take(consumer, 40);
        // While the member is in the group only commits under its generation and member id are accepted (a
        // standalone one would be refused), so offsets arriving prove the auto-commit carries the member's identity.
        await WaitUntilAsync(() => CommittedAsync(broker, "autocommit", "autocommit", 2).Result.Values.All(o => o == 20),
            () => "committed: " + string.Join(",", CommittedAsync(broker, "autocommit", "autocommit", 2).Result), TimeSpan.FromSeconds(10));
        Assert.Equal([20L, 20], consumer.Committed(TimeSpan.FromSeconds(10)).Select(c => c.Offset.Value));
        consumer.Close();
    }

    [Fact]
    public async Task Eager_rebalances_revoke_everything_and_assign_the_whole_new_share()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "eager", 6);
        using var a = new SubscribedConsumer("a", MemberConfig(broker, "eager", "range"), ["eager"]);
        await WaitUntilAsync(() => a.Held.Count == 6, () => Describe([a]));
        using var b = new SubscribedConsumer("b", MemberConfig(broker, "eager", "range"), ["eager"]);
        await WaitUntilAsync(() => Split([a, b], "eager", 6) && a.Held.Count == 3, () => Describe([a, b]));

        var aSteps = a.Rebalances.ToList();
        Assert.Equal(["assigned", "revoked", "assigned"], aSteps.Select(r => r.Kind));
        Assert.Equal(6, aSteps[0].Partitions.Count);
        Assert.Equal(aSteps[0].Partitions, aSteps[1].Partitions); // eager: everything goes back
        Assert.Equal(a.Held.Order(), aSteps[2].Partitions);
        var bSteps = b.Rebalances.ToList();
        Assert.Equal("assigned", Assert.Single(bSteps).Kind);
        Assert.Equal(b.Held.Order(), bSteps[0].Partitions);
        Assert.True(aSteps[2].Generation > aSteps[0].Generation);
        Assert.Equal(aSteps[2].Generation, bSteps[0].Generation);
    }

    [Fact]
    public async Task Cooperative_rebalances_revoke_only_the_partitions_that_move()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "coop", 6);
        var holders = new ConcurrentDictionary<TopicPartition, string>();
        using var a = new SubscribedConsumer("a", MemberConfig(broker, "coop", "cooperative-sticky"), ["coop"], holders);
        await WaitUntilAsync(() => a.Held.Count == 6, () => Describe([a]));
        using var b = new SubscribedConsumer("b", MemberConfig(broker, "coop", "cooperative-sticky"), ["coop"], holders);
        // Both sides done with the generation that moved b's share: nothing is left to revoke or assign.
        await WaitUntilAsync(async () => a.Held.Count == 3 && await SettledAsync(broker, "coop", [a, b], "coop", 6), () => Describe([a, b]));

        var aSteps = a.Rebalances.ToList();
        var revoked = Assert.Single(aSteps, r => r.Kind == "revoked");
        Assert.Equal(b.Held.Order(), revoked.Partitions); // exactly what b got, nothing a keeps
        Assert.Equal(6, aSteps[0].Partitions.Count);
        Assert.All(aSteps.Skip(1).Where(r => r.Kind == "assigned"), r => Assert.Empty(r.Partitions)); // a is never handed back what it kept
        Assert.Equal(b.Held.Order(), b.Rebalances.Where(r => r.Kind == "assigned").SelectMany(r => r.Partitions).Order());
        Assert.Empty(a.Violations);
        Assert.Empty(b.Violations);
    }

    [Fact]
    public async Task A_regex_subscription_picks_up_a_topic_created_later()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "metrics-eu", 1);
        await CreateTopicAsync(broker, "audit", 1);
        await ProduceAsync(broker, "metrics-eu", 0, 5);
        await ProduceAsync(broker, "audit", 0, 5);
        using var member = new SubscribedConsumer("r", MemberConfig(broker, "regex", settings: ("metadata.max.age.ms", "500")), ["^metrics-.*"]);
        Assert.Equal(["^metrics-.*"], member.Consumer.Subscription);
        await WaitUntilAsync(() => member.Records.Count == 5, () => Describe([member]));

        await CreateTopicAsync(broker, "metrics-us", 2);
        await ProduceAsync(broker, "metrics-us", 1, 7);
        await WaitUntilAsync(() => member.Records.Count == 12, () => Describe([member]));
        Assert.Equal(7, member.Records.Count(r => r.Topic == "metrics-us"));
        Assert.DoesNotContain(member.Records, r => r.Topic == "audit");
        Assert.Equal(["metrics-eu", "metrics-us", "metrics-us"], member.Held.Select(tp => tp.Topic).Order());
    }

    [Fact]
    public async Task Close_leaves_the_group_at_once_and_the_others_need_not_wait_out_its_session()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "leave", 4);
        // A session far longer than the wait below: b can only get a's partitions in time through a's LeaveGroup.
        var slowSession = ("session.timeout.ms", "90000");
        var a = new SubscribedConsumer("a", MemberConfig(broker, "leave", settings: slowSession), ["leave"]);
        using var b = new SubscribedConsumer("b", MemberConfig(broker, "leave", settings: slowSession), ["leave"]);
        await WaitUntilAsync(() => Split([a, b], "leave", 4) && a.Held.Count == 2, () => Describe([a, b]));
        a.Close();
        await WaitUntilAsync(() => b.Held.Count == 4, () => Describe([b]), TimeSpan.FromSeconds(45));
        Assert.Equal("revoked", a.Rebalances.Last().Kind);
    }

    [Fact]
    public async Task A_member_slower_than_its_session_timeout_but_within_max_poll_interval_stays_in_the_group()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "slow", 2);
        // The session is short against the stall but not against a loaded 2-core CI machine: 4 s
        // without a heartbeat handled is a dead member, a stall of 10 s is two and a half of those.
        var timing = new[] { ("session.timeout.ms", "4000"), ("max.poll.interval.ms", "30000") };
        using var a = new SubscribedConsumer("a", MemberConfig(broker, "slow", settings: timing), ["slow"]);
        using var b = new SubscribedConsumer("b", MemberConfig(broker, "slow", settings: timing), ["slow"]);
        await WaitUntilAsync(() => Split([a, b], "slow", 2) && a.Held.Count == 1, () => Describe([a, b]));
        int aSteps = a.Rebalances.Count, bSteps = b.Rebalances.Count;
        var aHeld = a.Held;

        a.StallOnceMs = 10_000; // well past the session: only the background heartbeats keep it in
        await WaitUntilAsync(() => a.StallsFinished == 1, () => "a's stall has not ended: " + Describe([a, b]));
        await ProduceToEveryPartitionAsync(broker, "slow", 2, 5);
        await WaitUntilAsync(() => a.Records.Count == 5 && b.Records.Count == 5, () => Describe([a, b]));
        Assert.True(aSteps == a.Rebalances.Count && bSteps == b.Rebalances.Count,
            $"a rebalance happened during the stall (a had {aSteps} steps, b {bSteps}): {Describe([a, b])}");
        Assert.Equal(aHeld, a.Held);
        Assert.Empty(a.Errors);
    }

    [Fact]
    public async Task A_member_that_exceeds_max_poll_interval_loses_its_partitions_and_rejoins_when_it_polls()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "stuck", 2);
        // The session is far longer than the wait for b below, so only max.poll.interval.ms can hand b a's partition.
        var timing = new[] { ("session.timeout.ms", "90000"), ("max.poll.interval.ms", "3000") };
        using var a = new SubscribedConsumer("a", MemberConfig(broker, "stuck", settings: timing), ["stuck"]);
        using var b = new SubscribedConsumer("b", MemberConfig(broker, "stuck", settings: timing), ["stuck"]);
        await WaitUntilAsync(() => Split([a, b], "stuck", 2) && a.Held.Count == 1, () => Describe([a, b]));
        var aHeld = a.Held.Single();

        // a is stuck until released: after 3 s without a poll it leaves by itself and b gets everything meanwhile.
        a.Hold();
        await WaitUntilAsync(() => b.Held.Count == 2, () => Describe([a, b]), TimeSpan.FromSeconds(45));
        Assert.Empty(a.Errors);
        // When a polls again it hears why, loses its partition (no commit: it may be b's now) and rejoins.
        a.Release();
        await WaitUntilAsync(() => Split([a, b], "stuck", 2) && a.Held.Count == 1, () => Describe([a, b]));
        var error = Assert.IsType<ConsumeException>(Assert.Single(a.Errors));
        Assert.Equal(ErrorCode.Local_MaxPollExceeded, error.Error.Code);
        var lost = Assert.Single(a.Rebalances, r => r.Kind == "lost");
        Assert.Equal([aHeld], lost.Partitions);
    }

    [Fact]
    public async Task Assign_and_Subscribe_exclude_each_other_and_Subscribe_needs_a_group()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "modes", 2);
        using (var groupless = NewConsumer(broker))
            Assert.Equal(ErrorCode.InvalidGroupId, Assert.Throws<KafkaException>(() => groupless.Subscribe("modes")).Error.Code);

        using var consumer = new ConsumerBuilder<string, string>(MemberConfig(broker, "modes")).Build();
        consumer.Assign(new TopicPartition("modes", 0));
        Assert.Throws<InvalidOperationException>(() => consumer.Subscribe("modes"));
        consumer.Unassign();
        consumer.Subscribe(["modes", "^nothing-matches-this$"]);
        Assert.Throws<InvalidOperationException>(() => consumer.Assign(new TopicPartition("modes", 0)));
        Assert.Throws<InvalidOperationException>(() => consumer.IncrementalAssign([new TopicPartition("modes", 1)]));
        Assert.Throws<InvalidOperationException>(() => consumer.Unassign());
        Assert.Throws<ArgumentException>(() => consumer.Subscribe("^(unclosed"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (consumer.Assignment.Count < 2 && DateTime.UtcNow < deadline) consumer.Consume(TimeSpan.FromMilliseconds(100));
        Assert.Equal(2, consumer.Assignment.Count);

        // Unsubscribe revokes and leaves; then the consumer is the application's to assign again.
        consumer.Unsubscribe();
        Assert.Empty(consumer.Subscription);
        Assert.Empty(consumer.Assignment);
        consumer.Assign(new TopicPartition("modes", 1));
        Assert.Equal([new TopicPartition("modes", 1)], consumer.Assignment);
    }

    [Fact]
    public async Task A_static_member_replaced_by_another_with_its_instance_id_is_fenced()
    {
        await using var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, "fenced", 1);
        await ProduceAsync(broker, "fenced", 0, 10);
        var config = MemberConfig(broker, "fenced", settings: [("group.instance.id", "instance-1"), ("enable.auto.commit", "false")]);
        using var first = new ConsumerBuilder<string, string>(config).Build();
        first.Subscribe("fenced");
        var record = Take(first, 1).Single();

        using var second = new ConsumerBuilder<string, string>(config).Build();
        second.Subscribe("fenced");
        Take(second, 1);
        // The first one's next heartbeat or commit learns that its instance id now belongs to someone else.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        ConsumeException? fenced = null;
        while (fenced is null && DateTime.UtcNow < deadline)
        {
            try { first.Consume(TimeSpan.FromMilliseconds(100)); }
            catch (ConsumeException e) { fenced = e; }
        }
        Assert.NotNull(fenced);
        Assert.Equal(ErrorCode.FencedInstanceId, fenced.Error.Code);
        Assert.True(fenced.Error.IsFatal);
        var commit = Assert.ThrowsAny<KafkaException>(() => first.Commit(record));
        Assert.Equal(ErrorCode.FencedInstanceId, commit.Error.Code);
        var asyncCommit = await Assert.ThrowsAnyAsync<KafkaException>(() => first.CommitAsync([new TopicPartitionOffset("fenced", 0, 1)]));
        Assert.Equal(ErrorCode.FencedInstanceId, asyncCommit.Error.Code);
        second.Close();
    }
}
