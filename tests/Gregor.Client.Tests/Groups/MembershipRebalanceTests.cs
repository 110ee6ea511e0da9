using Gregor.Client.Consumer;
using Gregor.Client.Groups;
using Gregor.Protocol.Messages;
using static Gregor.Client.Tests.Groups.MembershipScript;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Groups;

/// <summary>The membership state machine through rebalances, errors, timeouts and leaving, on a fake clock.</summary>
public sealed class MembershipRebalanceTests
{
    [Fact]
    public void Eager_rebalance_revokes_everything_before_rejoining_and_heartbeats_while_the_consumer_is_busy()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0), P("t", 1));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.RebalanceInProgress), s.Now);
        Assert.True(s.Member.RejoinNeeded);
        // The consumer has not polled yet: no JoinGroup before the revocation, but the heartbeats go on.
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.RebalanceInProgress), s.Now);
        var revoke = s.Member.Poll(s.Now)!;
        Assert.Equal("Revoke t-0 t-1", Show(revoke));
        Assert.Same(revoke, s.Member.Poll(s.Now)); // the same step until it is done
        s.Advance(3_000);
        var beat = s.Next<HeartbeatCall>();
        Assert.Equal(new GroupMemberIdentity(1, "m", null), s.Member.GetCommitIdentity()); // the revoke handler commits in generation 1
        s.Member.Complete(revoke, s.Now);
        Assert.Empty(s.Member.Owned);
        s.NothingToSend(); // the heartbeat still holds the coordinator's lane
        s.Member.OnHeartbeat(beat, Beat(WireErrorCode.RebalanceInProgress), s.Now);
        s.Next<JoinGroupCall>();
    }

    [Fact]
    public void Eager_rejoin_goes_out_once_the_revocation_is_done()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0), P("t", 1));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.RebalanceInProgress), s.Now);
        var revoke = s.Member.Poll(s.Now)!;
        s.Member.Complete(revoke, s.Now);
        var join = s.Next<JoinGroupCall>();
        Assert.Equal("m", join.Request.MemberId);
        Assert.Equal("the group is rebalancing", join.Request.Reason);
        var subscription = SubscriptionIn(join);
        Assert.Equal(1, subscription.GenerationId);
        Assert.Empty(subscription.OwnedPartitions);
        Assert.Equal(MembershipState.PreparingRebalance, s.Member.State);
        s.Member.OnJoinGroup(join, Joined("m", 2, "x"), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), Synced(P("t", 1), P("t", 2)), s.Now);
        Assert.Equal("Assign t-1 t-2", Show(Assert.Single(s.CompleteSteps())));
    }

    [Theory]
    [InlineData(WireErrorCode.IllegalGeneration)]
    [InlineData(WireErrorCode.UnknownMemberId)]
    public void Heartbeat_saying_the_member_is_out_loses_its_partitions_and_rejoins_with_no_member_id(WireErrorCode error)
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(error), s.Now);
        Assert.Equal("", s.Member.MemberId);
        Assert.Equal(-1, s.Member.GenerationId);
        s.NothingToSend(); // the lost step comes first
        Assert.Equal("Lost t-0", Show(Assert.Single(s.CompleteSteps())));
        var join = s.Next<JoinGroupCall>();
        Assert.Equal("", join.Request.MemberId);
    }

    [Fact]
    public void A_static_member_keeps_its_instance_id_through_a_reset()
    {
        var s = new MembershipScript(Eager("instance-1"));
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        var join = s.Next<JoinGroupCall>();
        Assert.Equal("instance-1", join.Request.GroupInstanceId);
        s.Member.OnJoinGroup(join, Joined("m", 1, "x"), s.Now);
        var sync = s.Next<SyncGroupCall>();
        Assert.Equal("instance-1", sync.Request.GroupInstanceId);
        s.Member.OnSyncGroup(sync, Synced(P("t", 0)), s.Now);
        s.CompleteSteps();
        s.Advance(3_000);
        var beat = s.Next<HeartbeatCall>();
        Assert.Equal("instance-1", beat.Request.GroupInstanceId);
        s.Member.OnHeartbeat(beat, Beat(WireErrorCode.UnknownMemberId), s.Now);
        s.CompleteSteps();
        var rejoin = s.Next<JoinGroupCall>();
        Assert.Equal("", rejoin.Request.MemberId);
        Assert.Equal("instance-1", rejoin.Request.GroupInstanceId);
    }

    [Fact]
    public void Fenced_instance_id_is_fatal_and_surfaced()
    {
        var s = new MembershipScript(Eager("instance-1"));
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.FencedInstanceId), s.Now);
        Assert.Equal(MembershipState.Failed, s.Member.State);
        var e = Assert.Throws<KafkaException>(() => s.Member.Poll(s.Now));
        Assert.Equal(ErrorCode.FencedInstanceId, e.Error.Code);
        Assert.True(e.Error.IsFatal);
        s.Advance(10_000);
        s.NothingToSend();
        // Closing still lets the consumer drop what it held, as lost: another member has it.
        s.Member.Close(s.Now);
        Assert.Equal("Lost t-0", Show(Assert.Single(s.CompleteSteps())));
        Assert.Equal(MembershipState.Closed, s.Member.State);
    }

    [Theory]
    [InlineData(WireErrorCode.NotCoordinator)]
    [InlineData(WireErrorCode.CoordinatorNotAvailable)]
    public void Coordinator_moved_or_gone_on_heartbeat_rediscovers_and_heartbeats_on_in_the_same_generation(WireErrorCode error)
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(error), s.Now);
        Assert.Null(s.Member.Coordinator);
        s.Advance(100);
        s.FindCoordinator();
        var beat = s.Next<HeartbeatCall>();
        Assert.Equal(1, beat.Request.GenerationId);
        Assert.Equal(MembershipState.Stable, s.Member.State);
        Assert.Empty(s.CompleteSteps());
    }

    [Fact]
    public void A_coordinator_silent_for_the_session_timeout_is_looked_up_again()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        long synced = s.Now;
        s.Advance(3_000);
        var beat = s.Next<HeartbeatCall>();
        s.Advance(42_000); // 45 s after the last sign of life
        Assert.Empty(s.Calls());
        Assert.True(s.Member.IsInFlight(beat));
        Assert.Equal(synced + 45_001, s.Member.NextWakeMs(s.Now));
        s.Advance(1);
        var find = s.Next<FindCoordinatorCall>();
        Assert.False(s.Member.IsInFlight(beat)); // the driver stops waiting and drops the connection
        s.Member.OnHeartbeat(beat, Beat(), s.Now); // too late: ignored
        Assert.Null(s.Member.Coordinator);
        Assert.NotNull(find);
    }

    [Fact]
    public void Not_polling_for_max_poll_interval_leaves_the_group_and_the_next_poll_rejoins()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        for (int i = 0; i < 99; i++)
        {
            s.Advance(3_000);
            s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now); // heartbeats alone do not keep a stalled consumer in
        }
        s.Advance(3_001);
        var leave = s.Next<LeaveGroupCall>();
        Assert.Equal("m", leave.Request.Members.Single().MemberId);
        Assert.Contains("poll timeout", leave.Request.Members.Single().Reason, StringComparison.Ordinal);
        s.Member.OnLeaveGroup(leave, new LeaveGroupResponse(), s.Now);
        Assert.Equal("", s.Member.MemberId);
        s.Advance(60_000);
        s.NothingToSend(); // out of the group until the application polls again
        Assert.Equal(ErrorCode.Local_MaxPollExceeded, Assert.Throws<KafkaException>(() => s.Member.Poll(s.Now)).Error.Code); // told once
        Assert.Equal("Lost t-0", Show(Assert.Single(s.CompleteSteps())));
        Assert.Equal("", s.Next<JoinGroupCall>().Request.MemberId);
    }

    [Fact]
    public void A_static_member_past_max_poll_interval_forgets_its_member_id_without_leave_group()
    {
        var s = new MembershipScript(Eager("instance-1") with { MaxPollInterval = TimeSpan.FromSeconds(10) });
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(1_001);
        s.NothingToSend();
        Assert.Equal("", s.Member.MemberId);
        Assert.Equal(ErrorCode.Local_MaxPollExceeded, Assert.Throws<KafkaException>(() => s.Member.Poll(s.Now)).Error.Code);
        s.CompleteSteps();
        var join = s.Next<JoinGroupCall>();
        Assert.Equal("instance-1", join.Request.GroupInstanceId);
    }

    [Fact]
    public void Closing_revokes_then_a_dynamic_member_leaves_and_a_static_one_does_not()
    {
        var dynamic = new MembershipScript(Eager());
        dynamic.JoinAsFollower("m", 1, ["t"], P("t", 0));
        dynamic.Member.Close(dynamic.Now);
        Assert.Throws<InvalidOperationException>(() => dynamic.Member.Subscribe(["t"], dynamic.Now));
        Assert.Equal("Revoke t-0", Show(Assert.Single(dynamic.CompleteSteps())));
        var leave = dynamic.Next<LeaveGroupCall>();
        Assert.Equal("m", leave.Request.MemberId);
        dynamic.Member.OnLeaveGroup(leave, new LeaveGroupResponse(), dynamic.Now);
        Assert.Equal(MembershipState.Closed, dynamic.Member.State);
        dynamic.NothingToSend();

        var @static = new MembershipScript(Eager("instance-1"));
        @static.JoinAsFollower("m", 1, ["t"], P("t", 0));
        @static.Member.Close(@static.Now);
        Assert.Equal("Revoke t-0", Show(Assert.Single(@static.CompleteSteps())));
        Assert.Equal(MembershipState.Closed, @static.Member.State);
        @static.NothingToSend();
    }

    [Fact]
    public void Closing_during_a_join_abandons_it_and_leaves_with_the_member_id()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"]);
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.RebalanceInProgress), s.Now);
        s.CompleteSteps();
        var join = s.Next<JoinGroupCall>();
        s.Member.Close(s.Now);
        Assert.False(s.Member.IsInFlight(join));
        var leave = s.Next<LeaveGroupCall>();
        Assert.Equal("m", leave.Request.MemberId);
    }

    [Fact]
    public void Unsubscribing_revokes_and_leaves_and_subscribing_again_rejoins()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        s.Member.Unsubscribe(s.Now);
        Assert.Equal("Revoke t-0", Show(Assert.Single(s.CompleteSteps())));
        var leave = s.Next<LeaveGroupCall>();
        Assert.Contains("unsubscribed", leave.Request.Members.Single().Reason, StringComparison.Ordinal);
        s.Member.OnLeaveGroup(leave, new LeaveGroupResponse(), s.Now);
        Assert.Equal(MembershipState.Unsubscribed, s.Member.State);
        s.NothingToSend();
        s.Member.Subscribe(["u"], s.Now);
        var join = s.Next<JoinGroupCall>();
        Assert.Equal(["u"], SubscriptionIn(join).Topics);
    }

    [Fact]
    public void Changing_the_subscription_rebalances()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        s.Member.Subscribe(["t", "u"], s.Now);
        Assert.Equal("Revoke t-0", Show(Assert.Single(s.CompleteSteps())));
        Assert.Equal(["t", "u"], SubscriptionIn(s.Next<JoinGroupCall>()).Topics);
    }
}
