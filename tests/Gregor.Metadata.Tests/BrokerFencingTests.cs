using Gregor.Metadata.Controller;

namespace Gregor.Metadata.Tests;

public sealed class BrokerFencingTests : IDisposable
{
    private static readonly TimeSpan PastTheSession = TimeSpan.FromSeconds(10);
    // Kafka's rules without eligible leader replicas (the last ISR member stays in the ISR when fenced); with them, on
    // by default, that member becomes an eligible leader instead (LeaderElectionTests).
    private readonly LifecycleCluster _c = new(s => s with { EligibleLeaderReplicas = false });

    public void Dispose() => _c.Dispose();

    [Fact]
    public async Task An_expired_session_fences_the_broker_and_its_leadership_moves_to_a_live_isr_member_or_to_nobody()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.CreatePlacedAsync("t", [2, 3], [2], [3, 2]);
        var before = _c.Partition("t", 0);

        await _c.PassAsync(TimeSpan.FromSeconds(5), alive: [2, 3]);
        Assert.Empty(await _c.Controller.CheckSessionsAsync());
        await _c.PassAsync(PastTheSession, alive: [3]);
        Assert.Equal([2], await _c.Controller.CheckSessionsAsync());

        Assert.True(_c.Broker(2).Fenced);
        Assert.False(_c.Broker(3).Fenced);
        Assert.False(_c.Broker(1).Fenced); // the in-process broker lives as long as the controller
        var moved = _c.Partition("t", 0);
        Assert.Equal("3 [3]", LeaderAndIsr(moved));
        Assert.Equal((before.LeaderEpoch + 1, before.PartitionEpoch + 1), (moved.LeaderEpoch, moved.PartitionEpoch));
        var offline = _c.Partition("t", 1);
        Assert.Equal("-1 [2]", LeaderAndIsr(offline)); // the last ISR member stays in it
        var followerGone = _c.Partition("t", 2);
        Assert.Equal("3 [3]", LeaderAndIsr(followerGone));
        Assert.Equal(0, followerGone.LeaderEpoch); // the leader did not change, only the ISR
        Assert.Equal(1, followerGone.PartitionEpoch);
        Assert.Empty(await _c.Controller.CheckSessionsAsync());
    }

    [Fact]
    public async Task A_new_controller_gives_every_registered_broker_a_fresh_session()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.PassAsync(TimeSpan.FromSeconds(8)); // neither has been heard from for 8 s of the 9 s session

        // Failover: another controller (here a new one over the same log) becomes active; it never heard from them.
        _c.F.Reopen();
        await _c.PassAsync(TimeSpan.FromSeconds(8));
        Assert.Empty(await _c.Controller.CheckSessionsAsync()); // 16 s since their last heartbeat, 8 s since the failover

        await _c.PassAsync(TimeSpan.FromSeconds(2));
        Assert.Equal([2, 3], (await _c.Controller.CheckSessionsAsync()).Order());
        Assert.True(_c.Broker(2).Fenced && _c.Broker(3).Fenced);
    }

    [Fact]
    public async Task A_controller_active_again_does_not_hold_sessions_from_its_earlier_term_against_the_brokers()
    {
        await _c.AddBrokerAsync(2);
        await _c.PassAsync(TimeSpan.FromSeconds(8));

        // Leadership went away and came back: while it was away another controller heard from broker 2.
        _c.Controller.Deactivate();
        _c.Controller.Activate(_c.F.Log, _c.Image);
        await _c.Controller.RegisterBrokerAsync(_c.F.NodeId, [new BrokerEndpointInfo("PLAINTEXT", "localhost", 9092, 0)], null);
        await _c.PassAsync(TimeSpan.FromSeconds(8));
        Assert.Empty(await _c.Controller.CheckSessionsAsync());

        await _c.PassAsync(TimeSpan.FromSeconds(2));
        Assert.Equal([2], await _c.Controller.CheckSessionsAsync());
    }

    [Fact]
    public async Task A_killed_broker_comes_back_as_leader_of_the_partitions_only_it_held()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.CreatePlacedAsync("t", [2], [2, 3]);

        await _c.PassAsync(PastTheSession, alive: [3]);
        await _c.Controller.CheckSessionsAsync();
        Assert.Equal(-1, _c.Partition("t", 0).Leader);
        Assert.Equal(3, _c.Partition("t", 1).Leader);

        // kill -9 and restart: a new incarnation, registered while the old one is fenced.
        await _c.RegisterAsync(2);
        Assert.Equal(-1, _c.Partition("t", 0).Leader); // not while it is fenced
        await _c.HeartbeatAsync(2);
        Assert.False(_c.Broker(2).Fenced);
        Assert.Equal(2, _c.Partition("t", 0).Leader);
        Assert.Equal(2, _c.Partition("t", 0).LeaderEpoch); // bumped when it went to nobody, and when it came back
        Assert.Equal(3, _c.Partition("t", 1).Leader); // 2 left that ISR; only the leader can bring it back
    }

    [Fact]
    public async Task A_new_incarnation_whose_old_session_ran_out_unchecked_does_not_keep_the_old_leadership()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.CreatePlacedAsync("t", [2], [2, 3]);

        // kill -9 and a restart that registers after the session ran out but before any check fenced the old one.
        await _c.PassAsync(PastTheSession, alive: [3]);
        Assert.False(_c.Broker(2).Fenced);
        await _c.RegisterAsync(2);
        Assert.True(_c.Broker(2).Fenced);
        Assert.Equal(-1, _c.Partition("t", 0).Leader); // the fenced new process does not lead what the old one led
        Assert.Equal(3, _c.Partition("t", 1).Leader);
        Assert.Equal([3], _c.Partition("t", 1).Isr.ToArray());

        await _c.HeartbeatAsync(2);
        Assert.Equal(2, _c.Partition("t", 0).Leader); // back once unfenced, in a new leader epoch
        Assert.Equal(2, _c.Partition("t", 0).LeaderEpoch);
    }

    [Fact]
    public async Task Without_a_live_isr_member_there_is_no_leader_and_no_unclean_election()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.CreatePlacedAsync("t", [2, 3]);

        await _c.PassAsync(PastTheSession, alive: [2]);
        Assert.Equal([3], await _c.Controller.CheckSessionsAsync());
        Assert.Equal("2 [2]", LeaderAndIsr(_c.Partition("t", 0)));

        await _c.PassAsync(PastTheSession);
        Assert.Equal([2], await _c.Controller.CheckSessionsAsync());
        Assert.Equal("-1 [2]", LeaderAndIsr(_c.Partition("t", 0)));

        await _c.RegisterAsync(3);
        await _c.HeartbeatAsync(3);
        Assert.Equal(-1, _c.Partition("t", 0).Leader); // 3 is out of the ISR: electing it could lose data

        await _c.RegisterAsync(2);
        await _c.HeartbeatAsync(2);
        Assert.Equal(2, _c.Partition("t", 0).Leader);
    }

    [Fact]
    public async Task Controlled_shutdown_moves_leadership_away_then_lets_the_broker_go_once_the_others_have_seen_it()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.CreatePlacedAsync("t", [2, 3], [2]);
        long seenBy3 = _c.Image.Offset;
        await _c.HeartbeatAsync(3, offset: seenBy3);

        var asked = await _c.HeartbeatAsync(2, wantShutDown: true);
        Assert.Equal((true, false, false), (asked.InControlledShutdown, asked.ShouldShutDown, asked.IsFenced));
        Assert.True(_c.Broker(2).InControlledShutdown);
        Assert.Equal("3 [3]", LeaderAndIsr(_c.Partition("t", 0)));
        Assert.Equal(-1, _c.Partition("t", 1).Leader);

        // Broker 3 has not yet applied the leadership change: broker 2 must wait.
        var waiting = await _c.HeartbeatAsync(2, wantShutDown: true);
        Assert.Equal((true, false), (waiting.InControlledShutdown, waiting.ShouldShutDown));

        await _c.HeartbeatAsync(3);
        var done = await _c.HeartbeatAsync(2, wantShutDown: true);
        Assert.Equal((false, true, true), (done.InControlledShutdown, done.ShouldShutDown, done.IsFenced));
        Assert.True(_c.Broker(2).Fenced);
    }

    [Fact]
    public async Task A_broker_that_leads_nothing_shuts_down_at_once()
    {
        await _c.AddBrokerAsync(2);
        var outcome = await _c.HeartbeatAsync(2, wantShutDown: true);
        Assert.Equal((true, true), (outcome.ShouldShutDown, outcome.IsFenced));
        Assert.True(_c.Broker(2).Fenced);
    }

    [Fact]
    public async Task Unregistering_a_broker_moves_its_leadership_and_removes_it_from_isrs()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.CreatePlacedAsync("t", [2, 3], [2]);
        Assert.True((await _c.Controller.UnregisterBrokerAsync(2)).IsOk);
        Assert.Equal("3 [3]", LeaderAndIsr(_c.Partition("t", 0)));
        Assert.Equal("-1 [2]", LeaderAndIsr(_c.Partition("t", 1)));
    }

    [Fact]
    public async Task Replaying_the_log_gives_the_same_brokers_and_partitions()
    {
        await _c.AddBrokerAsync(2, rack: "a");
        await _c.AddBrokerAsync(3, rack: "b");
        await _c.CreatePlacedAsync("t", [2, 3], [2], [3]);
        await _c.HeartbeatAsync(3, wantShutDown: true);
        await _c.PassAsync(PastTheSession);
        await _c.Controller.CheckSessionsAsync();
        await _c.RegisterAsync(2);
        await _c.HeartbeatAsync(2);
        var before = Describe(_c.Image);

        _c.F.Reopen();

        Assert.Equal(before, Describe(_c.Image));
    }

    private static string LeaderAndIsr(PartitionImage p) => $"{p.Leader} [{string.Join('.', p.Isr)}]";

    private static string Describe(MetadataImage image) =>
        string.Join("\n", image.Brokers.Values.OrderBy(b => b.NodeId).Select(b =>
            $"{b.NodeId} {b.IncarnationId} e{b.Epoch} fenced={b.Fenced} ics={b.InControlledShutdown} rack={b.Rack} at={b.RegistrationOffset} " +
            string.Join(",", b.Listeners)))
        + "\n" + string.Join("\n", image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal).SelectMany(t => t.Partitions.Select(p =>
            $"{t.Name}-{p.Partition} leader={p.Leader} le={p.LeaderEpoch} pe={p.PartitionEpoch} r={string.Join('.', p.Replicas)} isr={string.Join('.', p.Isr)}")));
}
