using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>
/// KIP-966's unclean recovery as Gregor's controller does it: with the ISR and eligible leaders empty, the replicas of
/// the last known ELR (the last leader, members dropped for unclean shutdowns) report their log ends on heartbeats, and
/// the one whose log ends latest by (last epoch, log end offset) leads, once all are back and have reported or after
/// <c>unclean.recovery.timeout.ms</c>; a single one leads at once.
/// </summary>
public sealed class UncleanRecoveryTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly LifecycleCluster _c = new(s => s with { EligibleLeaderReplicas = true, MinInsyncReplicas = 2, UncleanRecoveryTimeout = Timeout });

    public void Dispose() => _c.Dispose();

    private string State()
    {
        var p = _c.Partition("t", 0);
        return $"leader {p.Leader} isr [{string.Join(",", p.Isr)}] elr [{string.Join(",", p.Elr)}] last known [{string.Join(",", p.LastKnownElr)}] {p.LeaderRecoveryState}";
    }

    private async Task ShrinkAsync(KafkaUuid id, params int[] isr)
    {
        var p = _c.Partition("t", 0);
        var outcome = await _c.Controller.AlterPartitionAsync(new AlterPartitionRequest(p.Leader, _c.Epochs[p.Leader], 3,
            [new TopicIsrChanges(null, id, [new IsrChange(0, p.LeaderEpoch, p.PartitionEpoch, [.. isr.Select(r => new IsrMember(r, _c.Epochs[r]))], LeaderRecoveryState.Recovered)])]));
        Assert.Equal(ErrorCode.None, outcome.Topics.Single().Partitions.Single().Error);
    }

    /// <summary>A heartbeat reporting where the broker's replica of t-0 ends, as of <paramref name="partitionEpoch"/> (the current one by default).</summary>
    private Task<BrokerHeartbeatOutcome> ReportAsync(int broker, KafkaUuid id, int lastEpoch, long endOffset, int? partitionEpoch = null) =>
        _c.Controller.BrokerHeartbeatAsync(new BrokerHeartbeat(broker, _c.Epochs[broker], _c.Image.Offset, false, false)
        {
            LeaderlessReplicas = [new LeaderlessReplicaReport(id, 0, partitionEpoch ?? _c.Partition("t", 0).PartitionEpoch, new ReplicaLogEnd(lastEpoch, endOffset))],
        });

    /// <summary>
    /// Three replicas, min.insync.replicas 2: the ISR shrinks to leader 2 with 3 eligible; 3 restarts uncleanly (dropped
    /// from the eligible leaders, remembered); 2 is lost and restarts uncleanly. Brokers 2 and 3 are registered again
    /// (fenced until their next heartbeat); 4 stays out of it (it left the ISR while it was at min.insync.replicas).
    /// </summary>
    private async Task<KafkaUuid> EveryoneLostAsync()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.AddBrokerAsync(4);
        var id = await _c.CreatePlacedAsync("t", [2, 3, 4]);
        await ShrinkAsync(id, 2, 3);
        await ShrinkAsync(id, 2);
        Assert.Equal("leader 2 isr [2] elr [3] last known [] Recovered", State());
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.RegisterAsync(3, previousEpoch: -1);
        Assert.Equal("leader 2 isr [2] elr [] last known [3] Recovered", State());
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal("leader -1 isr [] elr [2] last known [3,2] Recovered", State());
        await _c.RegisterAsync(2, previousEpoch: -1);
        Assert.Equal("leader -1 isr [] elr [] last known [3,2] Recovered", State());
        return id;
    }

    [Fact]
    public async Task The_replica_with_the_longest_log_leads_once_every_last_known_member_has_reported()
    {
        var id = await EveryoneLostAsync();
        // The last leader is back first, with the shorter log (it lost its unflushed tail): it is not elected yet.
        var first = await ReportAsync(2, id, lastEpoch: 0, endOffset: 90);
        Assert.False(first.IsFenced);
        Assert.Empty(first.RecoveredPartitions);
        Assert.Equal("leader -1 isr [] elr [] last known [3,2] Recovered", State());
        // A broker that was never a candidate changes nothing.
        await ReportAsync(4, id, lastEpoch: 0, endOffset: 500);
        Assert.Equal("leader -1 isr [] elr [] last known [3,2] Recovered", State());
        // The heartbeat whose report completes the picture elects, and says so (the broker's handler logs it).
        Assert.Equal(["t-0"], (await ReportAsync(3, id, lastEpoch: 0, endOffset: 120)).RecoveredPartitions);
        Assert.Equal("leader 3 isr [3] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task A_later_last_epoch_beats_a_longer_log()
    {
        var id = await EveryoneLostAsync();
        await ReportAsync(3, id, lastEpoch: 0, endOffset: 500);
        await ReportAsync(2, id, lastEpoch: 1, endOffset: 90);
        Assert.Equal("leader 2 isr [2] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task Equal_logs_elect_the_first_in_replica_order()
    {
        var id = await EveryoneLostAsync();
        await ReportAsync(3, id, lastEpoch: 0, endOffset: 100);
        await ReportAsync(2, id, lastEpoch: 0, endOffset: 100);
        Assert.Equal("leader 2 isr [2] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task After_the_timeout_the_best_of_the_replicas_that_reported_leads()
    {
        var id = await EveryoneLostAsync();
        await ReportAsync(2, id, lastEpoch: 0, endOffset: 90);
        _c.Clock.Advance(Timeout - TimeSpan.FromSeconds(1));
        Assert.Empty(await _c.Controller.CheckUncleanRecoveriesAsync());
        Assert.Equal("leader -1 isr [] elr [] last known [3,2] Recovered", State());
        _c.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new[] { "t-0" }, await _c.Controller.CheckUncleanRecoveriesAsync());
        Assert.Equal("leader 2 isr [2] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task A_report_of_an_older_partition_epoch_is_not_used()
    {
        var id = await EveryoneLostAsync();
        int epoch = _c.Partition("t", 0).PartitionEpoch;
        await ReportAsync(3, id, lastEpoch: 0, endOffset: 120, partitionEpoch: epoch - 1);
        await ReportAsync(2, id, lastEpoch: 0, endOffset: 90);
        Assert.Equal("leader -1 isr [] elr [] last known [3,2] Recovered", State());
        await ReportAsync(3, id, lastEpoch: 0, endOffset: 120);
        Assert.Equal("leader 3 isr [3] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task A_restarted_replica_must_report_again()
    {
        var id = await EveryoneLostAsync();
        // 3 reports, then restarts again and is back without a report: what its earlier process said no longer counts.
        await ReportAsync(3, id, lastEpoch: 0, endOffset: 120);
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.RegisterAsync(3, previousEpoch: -1);
        Assert.False((await _c.HeartbeatAsync(3)).IsFenced);
        await ReportAsync(2, id, lastEpoch: 0, endOffset: 90);
        Assert.Equal("leader -1 isr [] elr [] last known [3,2] Recovered", State());
        await ReportAsync(3, id, lastEpoch: 0, endOffset: 80);
        Assert.Equal("leader 2 isr [2] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task A_single_replica_back_from_an_unclean_shutdown_leads_at_once()
    {
        await _c.AddBrokerAsync(2);
        await _c.CreatePlacedAsync("t", [2]);
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal("leader -1 isr [] elr [2] last known [2] Recovered", State());
        await _c.RegisterAsync(2, previousEpoch: -1);
        Assert.Equal("leader -1 isr [] elr [] last known [2] Recovered", State());
        Assert.False((await _c.HeartbeatAsync(2)).IsFenced);
        Assert.Equal("leader 2 isr [2] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task The_last_leader_alone_leads_at_once_when_nobody_else_was_dropped_for_an_unclean_shutdown()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var id = await _c.CreatePlacedAsync("t", [2, 3]);
        // 3 leaves the ISR (an eligible leader), then the cluster for good: it is nobody to wait for.
        await ShrinkAsync(id, 2);
        Assert.Equal("leader 2 isr [2] elr [3] last known [] Recovered", State());
        Assert.True((await _c.Controller.UnregisterBrokerAsync(3)).IsOk);
        await _c.HeartbeatAsync(2, wantFence: true);
        await _c.RegisterAsync(2, previousEpoch: -1);
        Assert.Equal("leader -1 isr [] elr [] last known [2] Recovered", State());
        await _c.HeartbeatAsync(2);
        Assert.Equal("leader 2 isr [2] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task An_isr_back_at_min_insync_replicas_forgets_the_replicas_dropped_for_unclean_shutdowns()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var id = await _c.CreatePlacedAsync("t", [2, 3]);
        await ShrinkAsync(id, 2);
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.RegisterAsync(3, previousEpoch: -1);
        await _c.HeartbeatAsync(3);
        Assert.Equal("leader 2 isr [2] elr [] last known [3] Recovered", State());
        await ShrinkAsync(id, 2, 3);
        Assert.Equal("leader 2 isr [2,3] elr [] last known [] Recovered", State());
    }

    [Fact]
    public async Task The_last_eligible_leader_dropped_for_an_unclean_shutdown_is_waited_for_even_with_the_last_leader_back()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        var id = await _c.CreatePlacedAsync("t", [2, 3]);
        // Both are lost, 3 first: both are eligible leaders, 2 the last leader.
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal("leader -1 isr [] elr [2,3] last known [2] Recovered", State());
        // 2 is back from an unclean shutdown and waits for 3, still eligible.
        await _c.RegisterAsync(2, previousEpoch: -1);
        await ReportAsync(2, id, lastEpoch: 0, endOffset: 90);
        Assert.Equal("leader -1 isr [] elr [3] last known [2] Recovered", State());
        // 3 is back from an unclean shutdown too: the change that drops it must not elect 2 alone.
        await _c.RegisterAsync(3, previousEpoch: -1);
        Assert.Equal("leader -1 isr [] elr [] last known [2,3] Recovered", State());
        await ReportAsync(2, id, lastEpoch: 0, endOffset: 90);
        Assert.Equal("leader -1 isr [] elr [] last known [2,3] Recovered", State());
        await ReportAsync(3, id, lastEpoch: 0, endOffset: 132);
        Assert.Equal("leader 3 isr [3] elr [] last known [] Recovering", State());
    }

    [Fact]
    public async Task After_the_timeout_without_any_report_the_first_candidate_back_leads()
    {
        await EveryoneLostAsync();
        // Back, but saying nothing of their logs (a broker that does not report): the periodic check starts the wait.
        await _c.HeartbeatAsync(3);
        await _c.HeartbeatAsync(2);
        Assert.Empty(await _c.Controller.CheckUncleanRecoveriesAsync());
        _c.Clock.Advance(Timeout - TimeSpan.FromSeconds(1));
        Assert.Empty(await _c.Controller.CheckUncleanRecoveriesAsync());
        Assert.Equal("leader -1 isr [] elr [] last known [3,2] Recovered", State());
        _c.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new[] { "t-0" }, await _c.Controller.CheckUncleanRecoveriesAsync());
        Assert.Equal("leader 2 isr [2] elr [] last known [] Recovering", State());
    }
}
