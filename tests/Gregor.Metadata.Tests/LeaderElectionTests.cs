using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>
/// Elections by Kafka's rules: leaders come from the ISR; a replica outside it leads only when the topic (or the broker
/// default) allows unclean election, and then as the only ISR member, recovering; with eligible leader replicas on
/// (KIP-966), members lost while the ISR was below min.insync.replicas may lead, unless they shut down uncleanly.
/// </summary>
public sealed class LeaderElectionTests : IDisposable
{
    private LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    private void Use(Func<ControllerSettings, ControllerSettings> settings)
    {
        _c.Dispose();
        _c = new LifecycleCluster(settings);
    }

    private async Task SetTopicConfigAsync(string topic, string name, string value)
    {
        var outcome = await _c.Controller.IncrementalAlterConfigsAsync(
            [new ConfigResourceChanges(ConfigResourceType.Topic, topic, [new ConfigChange(name, ConfigOperationKind.Set, value)])], validateOnly: false);
        Assert.True(outcome.Single().IsOk, outcome.Single().Message);
    }

    /// <summary>The leader of <paramref name="topic"/> sets its ISR to <paramref name="isr"/>; asserts it is accepted.</summary>
    private async Task ShrinkAsync(string topic, KafkaUuid id, params int[] isr)
    {
        var p = _c.Partition(topic, 0);
        var outcome = await _c.Controller.AlterPartitionAsync(new AlterPartitionRequest(p.Leader, _c.Epochs[p.Leader], 3,
            [new TopicIsrChanges(null, id, [new IsrChange(0, p.LeaderEpoch, p.PartitionEpoch, [.. isr.Select(r => new IsrMember(r, _c.Epochs[r]))], LeaderRecoveryState.Recovered)])]));
        Assert.Equal(ErrorCode.None, outcome.Topics.Single().Partitions.Single().Error);
    }

    private string State(string topic)
    {
        var p = _c.Partition(topic, 0);
        return $"leader {p.Leader} isr [{string.Join(",", p.Isr)}] elr [{string.Join(",", p.Elr)}] {p.LeaderRecoveryState}";
    }

    [Fact]
    public async Task A_replica_outside_the_isr_leads_only_when_the_topic_allows_unclean_election_and_then_alone_and_recovering()
    {
        Use(s => s with { EligibleLeaderReplicas = false });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var safe = await _c.CreatePlacedAsync("safe", [2, 3]);
        var risky = await _c.CreatePlacedAsync("risky", [2, 3]);
        await SetTopicConfigAsync("risky", "unclean.leader.election.enable", "true");
        await ShrinkAsync("safe", safe, 2);
        await ShrinkAsync("risky", risky, 2);
        int epochBefore = _c.Partition("risky", 0).LeaderEpoch;

        await _c.HeartbeatAsync(2, wantFence: true);

        Assert.Equal("leader -1 isr [2] elr [] Recovered", State("safe")); // the last ISR member stays in it
        Assert.Equal("leader 3 isr [3] elr [] Recovering", State("risky"));
        Assert.Equal(epochBefore + 1, _c.Partition("risky", 0).LeaderEpoch);

        // The new leader, done recovering, says so; then it may grow its ISR again.
        await ShrinkAsync("risky", risky, 3);
        Assert.Equal("leader 3 isr [3] elr [] Recovered", State("risky"));
    }

    [Fact]
    public async Task The_broker_default_for_unclean_election_yields_to_a_topic_that_turns_it_off()
    {
        Use(s => s with { UncleanLeaderElectionEnable = true, EligibleLeaderReplicas = false });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var strict = await _c.CreatePlacedAsync("strict", [2, 3]);
        var loose = await _c.CreatePlacedAsync("loose", [2, 3]);
        await SetTopicConfigAsync("strict", "unclean.leader.election.enable", "false");
        await ShrinkAsync("strict", strict, 2);
        await ShrinkAsync("loose", loose, 2);

        await _c.HeartbeatAsync(2, wantFence: true);

        Assert.Equal("leader -1 isr [2] elr [] Recovered", State("strict"));
        Assert.Equal("leader 3 isr [3] elr [] Recovering", State("loose"));
    }

    [Fact]
    public async Task The_cluster_wide_dynamic_config_turns_unclean_election_on_for_topics_without_their_own()
    {
        Use(s => s with { EligibleLeaderReplicas = false });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var id = await _c.CreatePlacedAsync("t", [2, 3]);
        var set = await _c.Controller.IncrementalAlterConfigsAsync(
            [new ConfigResourceChanges(ConfigResourceType.Broker, "", [new ConfigChange("unclean.leader.election.enable", ConfigOperationKind.Set, "true")])], validateOnly: false);
        Assert.True(set.Single().IsOk, set.Single().Message);
        await ShrinkAsync("t", id, 2);

        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal("leader 3 isr [3] elr [] Recovering", State("t"));
    }

    [Fact]
    public async Task A_leaderless_partition_is_led_uncleanly_by_a_replica_that_comes_back_when_allowed()
    {
        Use(s => s with { EligibleLeaderReplicas = false });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var id = await _c.CreatePlacedAsync("risky", [2, 3]);
        await SetTopicConfigAsync("risky", "unclean.leader.election.enable", "true");
        await ShrinkAsync("risky", id, 2);
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal("leader -1 isr [2] elr [] Recovered", State("risky"));

        await _c.HeartbeatAsync(3);
        Assert.Equal("leader 3 isr [3] elr [] Recovering", State("risky"));
    }

    [Theory]
    [InlineData(true, "leader 3 isr [3] elr [2] Recovered")]
    [InlineData(false, "leader -1 isr [2] elr [] Recovered")]
    public async Task With_eligible_leader_replicas_a_member_lost_below_min_insync_replicas_may_lead_cleanly(bool elr, string afterLeaderLoss)
    {
        Use(s => s with { EligibleLeaderReplicas = elr });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.AddBrokerAsync(4);
        var id = await _c.CreatePlacedAsync("t", [2, 3, 4]);
        await SetTopicConfigAsync("t", "min.insync.replicas", "2");

        await ShrinkAsync("t", id, 2, 3);
        Assert.Equal("leader 2 isr [2,3] elr [] Recovered", State("t")); // at min.insync.replicas: no eligible leaders
        await ShrinkAsync("t", id, 2);
        Assert.Equal(elr ? "leader 2 isr [2] elr [3] Recovered" : "leader 2 isr [2] elr [] Recovered", State("t"));

        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal(afterLeaderLoss, State("t"));
        Assert.Empty(_c.Partition("t", 0).LastKnownElr);
    }

    [Fact]
    public async Task By_default_the_last_isr_member_lost_gives_way_to_an_eligible_leader_and_cannot_return_after_an_unclean_restart()
    {
        // No settings: eligible leader replicas are on, as in a new Kafka 4.x cluster.
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.AddBrokerAsync(4);
        var id = await _c.CreatePlacedAsync("t", [2, 3, 4]);
        await SetTopicConfigAsync("t", "min.insync.replicas", "2");
        await ShrinkAsync("t", id, 2);
        Assert.Equal("leader 2 isr [2] elr [3,4] Recovered", State("t"));

        // The last ISR member is lost: an eligible leader takes over cleanly.
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal("leader 3 isr [3] elr [2,4] Recovered", State("t"));

        // The old leader comes back from an unclean shutdown (its unflushed tail may be gone): it is no candidate any more.
        await _c.RegisterAsync(2, previousEpoch: -1);
        Assert.Equal("leader 3 isr [3] elr [4] Recovered", State("t"));
        Assert.False((await _c.HeartbeatAsync(2)).IsFenced);
        Assert.Equal(3, _c.Partition("t", 0).Leader);
    }

    [Fact]
    public async Task An_isr_back_at_min_insync_replicas_clears_the_eligible_leaders()
    {
        Use(s => s with { EligibleLeaderReplicas = true, MinInsyncReplicas = 2 });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var id = await _c.CreatePlacedAsync("t", [2, 3]);
        await ShrinkAsync("t", id, 2);
        Assert.Equal("leader 2 isr [2] elr [3] Recovered", State("t"));
        await ShrinkAsync("t", id, 2, 3);
        Assert.Equal("leader 2 isr [2,3] elr [] Recovered", State("t"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_broker_back_from_an_unclean_shutdown_is_no_eligible_leader_and_one_back_from_a_clean_one_is(bool clean)
    {
        Use(s => s with { EligibleLeaderReplicas = true, MinInsyncReplicas = 2 });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.AddBrokerAsync(4);
        var id = await _c.CreatePlacedAsync("t", [2, 3, 4]);
        await ShrinkAsync("t", id, 2, 3);
        await ShrinkAsync("t", id, 2);
        Assert.Equal("leader 2 isr [2] elr [3] Recovered", State("t"));

        // Broker 3 stops and comes back as a new process: cleanly (its last epoch in its marker) or not (-1).
        long before = _c.Epochs[3];
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.RegisterAsync(3, previousEpoch: clean ? before : -1);
        Assert.Equal(clean ? "leader 2 isr [2] elr [3] Recovered" : "leader 2 isr [2] elr [] Recovered", State("t"));
        Assert.False((await _c.HeartbeatAsync(3)).IsFenced);

        // The leader is lost: only a clean eligible leader may take over.
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal(clean ? "leader 3 isr [3] elr [2] Recovered" : "leader -1 isr [] elr [2] Recovered", State("t"));
        if (!clean) // the last leader is remembered, and 3, dropped for its unclean shutdown: the unclean recovery chooses between them
            Assert.Equal([3, 2], _c.Partition("t", 0).LastKnownElr.ToArray());
    }

    [Fact]
    public async Task With_eligible_leader_replicas_off_an_unclean_restart_changes_nothing_more_than_a_new_process_does()
    {
        Use(s => s with { EligibleLeaderReplicas = false });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.CreatePlacedAsync("t", [2, 3]);
        await _c.HeartbeatAsync(3, wantFence: true);
        Assert.Equal("leader 2 isr [2] elr [] Recovered", State("t"));
        await _c.RegisterAsync(3, previousEpoch: -1);
        Assert.Equal("leader 2 isr [2] elr [] Recovered", State("t"));
    }

    [Fact]
    public async Task A_fenced_eligible_leader_is_waited_for_rather_than_the_last_leader_back_from_an_unclean_shutdown()
    {
        Use(s => s with { EligibleLeaderReplicas = true, MinInsyncReplicas = 2 });
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var id = await _c.CreatePlacedAsync("t", [2, 3]);
        await ShrinkAsync("t", id, 2);
        // Broker 3 restarts cleanly and stays an eligible leader; then the leader is lost.
        long before = _c.Epochs[3];
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.RegisterAsync(3, previousEpoch: before);
        Assert.False((await _c.HeartbeatAsync(3)).IsFenced);
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal("leader 3 isr [3] elr [2] Recovered", State("t"));
        Assert.Empty(_c.Partition("t", 0).LastKnownElr);

        // Broker 3 is lost too and comes back from an unclean shutdown: it is no eligible leader and is remembered as
        // the last leader, but 2, still eligible (and fenced), holds every committed record: it is waited for.
        await _c.HeartbeatAsync(3, wantFence: true);
        Assert.Equal("leader -1 isr [] elr [2,3] Recovered", State("t"));
        Assert.Equal([3], _c.Partition("t", 0).LastKnownElr.ToArray());
        await _c.RegisterAsync(3, previousEpoch: -1);
        Assert.Equal("leader -1 isr [] elr [2] Recovered", State("t"));
        Assert.Equal([3], _c.Partition("t", 0).LastKnownElr.ToArray()); // 2, an eligible leader, holds every committed record
        await _c.HeartbeatAsync(3);
        Assert.Equal("leader -1 isr [] elr [2] Recovered", State("t")); // 2 is still eligible, and fenced: it is waited for
        await _c.HeartbeatAsync(2);
        Assert.Equal("leader 2 isr [2] elr [] Recovered", State("t"));
        Assert.Empty(_c.Partition("t", 0).LastKnownElr);
    }
}
