using Gregor.Broker.Replication;

namespace Gregor.Broker.Tests.Replication;

/// <summary>The leader's view of its followers without sockets or clocks: high watermark, caught-up time, ISR changes.</summary>
public sealed class PartitionReplicasTests
{
    private const long LagMax = 30_000;

    /// <summary>Leader 1 of replicas 1, 2, 3 with all three in the ISR, at epoch 5 starting at offset 100, at time 1000.</summary>
    private static PartitionReplicas ThreeInSync(long startOffset = 100) => new(1, 5, 7, [1, 2, 3], [1, 2, 3], startOffset, 1000);

    [Fact]
    public void The_high_watermark_is_the_smallest_log_end_offset_of_the_isr_and_waits_for_every_member_to_fetch()
    {
        var replicas = ThreeInSync();
        Assert.Equal(-1, replicas.HighWatermark(120));

        replicas.RecordFetch(2, 110, 120, 1001);
        Assert.Equal(-1, replicas.HighWatermark(120));

        replicas.RecordFetch(3, 115, 120, 1002);
        Assert.Equal(110, replicas.HighWatermark(120));

        replicas.RecordFetch(2, 120, 120, 1003);
        Assert.Equal(115, replicas.HighWatermark(120));
        replicas.RecordFetch(3, 120, 120, 1004);
        Assert.Equal(120, replicas.HighWatermark(120));
        // The leader's own end bounds it too.
        Assert.Equal(118, replicas.HighWatermark(118));
    }

    [Fact]
    public void A_replica_outside_the_isr_does_not_hold_the_high_watermark_back()
    {
        var replicas = new PartitionReplicas(1, 5, 7, [1, 2, 3], [1, 2], 100, 1000);
        replicas.RecordFetch(2, 130, 130, 1001);
        replicas.RecordFetch(3, 50, 130, 1001);
        Assert.Equal(130, replicas.HighWatermark(130));
    }

    [Fact]
    public void The_committed_isr_below_min_insync_replicas_is_under_it_and_a_lone_replica_never_is()
    {
        var replicas = ThreeInSync();
        Assert.False(replicas.IsUnderMinIsr(2));
        Assert.False(replicas.IsUnderMinIsr(4)); // capped at the three replicas there are

        // A shrink in flight counts only once committed, as the high watermark counts the committed ISR.
        replicas.RecordFetch(2, 100, 100, 1001);
        Assert.NotNull(replicas.ProposeShrink(100, 1000 + LagMax + 1, LagMax));
        Assert.False(replicas.IsUnderMinIsr(2));
        Assert.True(replicas.ApplyCommittedIsr([1], 8));
        Assert.True(replicas.IsUnderMinIsr(2));
        Assert.False(replicas.IsUnderMinIsr(1));

        var alone = new PartitionReplicas(1, 5, 7, [1], [1], 0, 1000);
        Assert.False(alone.IsUnderMinIsr(1));
        Assert.False(alone.IsUnderMinIsr(2));
    }

    [Fact]
    public void A_fetch_from_a_broker_that_is_not_a_replica_is_not_recorded()
    {
        var replicas = ThreeInSync();
        Assert.False(replicas.RecordFetch(9, 100, 100, 1001));
        Assert.False(replicas.RecordFetch(1, 100, 100, 1001)); // the leader does not follow itself
        Assert.True(replicas.RecordFetch(2, 100, 100, 1001));
    }

    [Fact]
    public void Caught_up_at_a_fetch_of_the_leaders_end_or_at_the_previous_fetch_when_it_reaches_the_end_seen_then()
    {
        var follower = new FollowerState(2, 0);
        follower.RecordFetch(100, 100, 5000);
        Assert.Equal(5000, follower.LastCaughtUpTimeMs);

        // Behind the leader's current end (150) but at what the leader had at the previous fetch (100): caught up as of then.
        follower.RecordFetch(100, 150, 6000);
        Assert.Equal(5000, follower.LastCaughtUpTimeMs);
        follower.RecordFetch(150, 200, 7000);
        Assert.Equal(6000, follower.LastCaughtUpTimeMs);

        // Behind both: no change.
        follower.RecordFetch(160, 250, 8000);
        Assert.Equal(6000, follower.LastCaughtUpTimeMs);
        Assert.Equal(160, follower.LogEndOffset);
    }

    [Fact]
    public void A_member_not_caught_up_for_the_lag_time_is_shrunk_out_and_the_isr_keeps_the_leader()
    {
        var replicas = ThreeInSync();
        replicas.RecordFetch(2, 100, 100, 1000);
        replicas.RecordFetch(3, 100, 100, 1000);
        // Leader appends; follower 2 keeps up, follower 3 stops fetching.
        replicas.RecordFetch(2, 100, 150, 20_000);
        replicas.RecordFetch(2, 150, 150, 25_000);
        Assert.Empty(replicas.OutOfSyncReplicas(150, 31_000, LagMax));
        Assert.Null(replicas.ProposeShrink(150, 31_000, LagMax));

        Assert.Equal<int>([3], replicas.OutOfSyncReplicas(150, 31_001, LagMax));
        IsrChange? shrink = replicas.ProposeShrink(150, 31_001, LagMax);
        Assert.NotNull(shrink);
        Assert.Equal<int>([1, 2], shrink.NewIsr);
        Assert.Equal(7, shrink.PartitionEpoch);
        Assert.False(shrink.IsExpansion);
        // Until committed, the old ISR counts (a shrink must not let the high watermark pass a member that may stay).
        Assert.Equal<int>([1, 2, 3], replicas.MaximalIsr);
        Assert.Null(replicas.ProposeShrink(150, 40_000, LagMax)); // one change at a time

        Assert.True(replicas.ApplyCommittedIsr([1, 2], 8));
        Assert.Null(replicas.Pending);
        Assert.Equal<int>([1, 2], replicas.MaximalIsr);
        Assert.Equal(150, replicas.HighWatermark(150));
    }

    [Fact]
    public void A_member_at_the_leaders_end_is_in_sync_however_long_ago_it_caught_up()
    {
        var replicas = ThreeInSync();
        replicas.RecordFetch(2, 100, 100, 1000);
        replicas.RecordFetch(3, 100, 100, 1000);
        Assert.Empty(replicas.OutOfSyncReplicas(100, 1_000_000, LagMax));
    }

    [Fact]
    public void A_follower_joins_once_it_reaches_the_high_watermark_and_the_start_of_the_leader_epoch()
    {
        var replicas = new PartitionReplicas(1, 5, 7, [1, 2, 3], [1, 2], 100, 1000);
        replicas.RecordFetch(2, 140, 140, 1000);
        replicas.RecordFetch(3, 90, 140, 1000);
        Assert.Equal(-1, replicas.ExpansionCandidate(140));
        replicas.RecordFetch(3, 120, 140, 1100);
        Assert.Equal(-1, replicas.ExpansionCandidate(140)); // past the epoch start, not the high watermark

        var late = new PartitionReplicas(1, 5, 7, [1, 2, 3], [1, 2], 200, 1000);
        late.RecordFetch(2, 150, 210, 1000);
        late.RecordFetch(3, 160, 210, 1000);
        Assert.Equal(-1, late.ExpansionCandidate(150)); // at the high watermark, not the epoch start

        replicas.RecordFetch(3, 140, 140, 1200);
        IsrChange? expansion = replicas.ProposeExpansion(replicas.HighWatermark(140), 1200);
        Assert.NotNull(expansion);
        Assert.True(expansion.IsExpansion);
        Assert.Equal<int>([1, 2, 3], expansion.NewIsr);
        // While in flight the new member already counts in the high watermark (KIP-497's maximal ISR).
        Assert.Equal<int>([1, 2, 3], replicas.MaximalIsr);
        Assert.Equal(2, replicas.Isr.Length);
    }

    [Fact]
    public void A_refused_change_is_abandoned_and_an_older_committed_isr_is_ignored()
    {
        var replicas = ThreeInSync();
        replicas.RecordFetch(2, 100, 100, 1000);
        IsrChange shrink = replicas.ProposeShrink(100, 50_000, LagMax)!;
        Assert.Equal<int>([1, 2], shrink.NewIsr);
        replicas.AbandonPending(shrink);
        Assert.Null(replicas.Pending);
        Assert.False(replicas.ApplyCommittedIsr([1], 6));
        Assert.Equal<int>([1, 2, 3], replicas.Isr);
    }

    [Fact]
    public void After_a_refused_expansion_the_next_waits_for_the_backoff_not_the_next_fetch()
    {
        var replicas = new PartitionReplicas(1, 5, 7, [1, 2, 3], [1, 2], 100, 1000);
        replicas.RecordFetch(2, 140, 140, 1000);
        replicas.RecordFetch(3, 140, 140, 1000);
        IsrChange refused = replicas.ProposeExpansion(140, 1000)!;
        replicas.AbandonPending(refused, retryNotBeforeMs: 1500);

        Assert.Null(replicas.ProposeExpansion(140, 1001));
        Assert.Null(replicas.ProposeExpansion(140, 1499));
        Assert.Equal<int>([1, 2, 3], replicas.ProposeExpansion(140, 1500)!.NewIsr);
    }

    [Fact]
    public void A_change_waiting_for_newer_metadata_is_kept_when_an_image_repeats_the_same_partition_epoch()
    {
        var replicas = ThreeInSync();
        replicas.RecordFetch(2, 100, 100, 1000);
        IsrChange shrink = replicas.ProposeShrink(100, 50_000, LagMax)!;

        // Any other metadata change publishes an image that re-applies this partition as it was.
        Assert.False(replicas.ApplyCommittedIsr([1, 2, 3], replicas.PartitionEpoch));
        Assert.Same(shrink, replicas.Pending);
        Assert.Null(replicas.ProposeShrink(100, 60_000, LagMax));

        // The newer partition epoch the controller had ends it.
        Assert.True(replicas.ApplyCommittedIsr([1, 2], replicas.PartitionEpoch + 1));
        Assert.Null(replicas.Pending);
    }

    [Fact]
    public void An_unanswered_expansion_stays_in_flight_and_its_member_holds_the_high_watermark_back_until_the_controller_decides()
    {
        var replicas = new PartitionReplicas(1, 5, 7, [1, 2, 3], [1, 2], 100, 1000);
        replicas.RecordFetch(2, 140, 140, 1000);
        replicas.RecordFetch(3, 140, 140, 1000);
        IsrChange expansion = replicas.ProposeExpansion(140, 1000)!;

        // The leader appends on; replica 2 follows, replica 3 (perhaps already in the controller's ISR) does not.
        replicas.RecordFetch(2, 150, 150, 1100);
        Assert.True(replicas.KeepUnanswered(expansion));
        Assert.Same(expansion, replicas.Pending);
        Assert.Equal<int>([1, 2, 3], replicas.MaximalIsr);
        Assert.Equal(140, replicas.HighWatermark(150));
        Assert.Null(replicas.ProposeShrink(150, 1100, LagMax));

        // The controller's decision, here through the image, ends it.
        Assert.True(replicas.ApplyCommittedIsr([1, 2, 3], replicas.PartitionEpoch + 1));
        Assert.False(replicas.KeepUnanswered(expansion));
        Assert.Null(replicas.Pending);
    }
}
