using Gregor.Client.Groups;
using Gregor.Protocol.Messages;
using static Gregor.Client.Tests.Groups.MembershipScript;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Groups;

/// <summary>The membership state machine on a fake clock: finding the coordinator, joining, assigning, syncing, heartbeating.</summary>
public sealed class MembershipJoinTests
{
    [Fact]
    public void First_join_learns_its_member_id_then_the_leader_assigns_from_fresh_metadata_and_heartbeats()
    {
        var s = new MembershipScript();
        s.Member.Subscribe(["t"], s.Now);
        var find = s.Next<FindCoordinatorCall>();
        Assert.Equal(Group, find.Request.Key);
        Assert.Equal(0, find.Request.KeyType);
        Assert.Equal([Group], find.Request.CoordinatorKeys);
        s.Member.OnFindCoordinator(find, new FindCoordinatorResponse { NodeId = 7, Host = "h", Port = 1 }, s.Now); // a v0-3 answer
        Assert.Equal(new CoordinatorNode(7, "h", 1), s.Member.Coordinator);

        var first = s.Next<JoinGroupCall>();
        Assert.Equal("", first.Request.MemberId);
        Assert.Equal(["range", "cooperative-sticky"], first.Request.Protocols.Select(p => p.Name));
        Assert.Equal(45_000, first.Request.SessionTimeoutMs);
        Assert.Equal(300_000, first.Request.RebalanceTimeoutMs);
        Assert.Equal(TimeSpan.FromSeconds(305), first.Timeout);
        var subscription = SubscriptionIn(first);
        Assert.Equal(["t"], subscription.Topics);
        Assert.Equal(-1, subscription.GenerationId);
        Assert.Empty(subscription.OwnedPartitions);

        // KIP-394: the coordinator answers with an id to join with, and the member rejoins at once.
        s.Member.OnJoinGroup(first, new JoinGroupResponse { ErrorCode = (short)WireErrorCode.MemberIdRequired, MemberId = "m-1" }, s.Now);
        var second = s.Next<JoinGroupCall>();
        Assert.Equal("m-1", second.Request.MemberId);

        s.Member.OnJoinGroup(second, Joined("m-1", 1, "m-1", "range", ("m-2", SubscriptionOf("t")), ("m-1", SubscriptionOf("t"))), s.Now);
        Assert.Equal(MembershipState.CompletingRebalance, s.Member.State);
        Assert.True(s.Member.IsLeader);
        var metadata = s.Next<MetadataCall>();
        Assert.Equal(["t"], metadata.Topics);
        s.Member.OnMetadata(metadata, TopicsSnapshot.Of(false, ("t", 4)), s.Now);

        var sync = s.Next<SyncGroupCall>();
        Assert.Equal(1, sync.Request.GenerationId);
        Assert.Equal("range", sync.Request.ProtocolName);
        var handedOut = sync.Request.Assignments.ToDictionary(a => a.MemberId, a => AssignorVectorTests.Show(ConsumerProtocolCodec.PartitionsOf(ConsumerProtocolCodec.ReadAssignment(a.Assignment))));
        Assert.Equal("t-0 t-1", handedOut["m-1"]);
        Assert.Equal("t-2 t-3", handedOut["m-2"]);

        s.Member.OnSyncGroup(sync, Synced(P("t", 0), P("t", 1)), s.Now);
        Assert.Equal(MembershipState.Stable, s.Member.State);
        var steps = s.CompleteSteps();
        Assert.Equal("Assign t-0 t-1", Show(Assert.Single(steps)));
        Assert.Equal("t-0 t-1", AssignorVectorTests.Show(s.Member.Owned));

        s.Advance(2_999);
        s.NothingToSend();
        s.Advance(1);
        var beat = s.Next<HeartbeatCall>();
        Assert.Equal(1, beat.Request.GenerationId);
        Assert.Equal("m-1", beat.Request.MemberId);
        s.Member.OnHeartbeat(beat, Beat(), s.Now);
        s.Advance(3_000);
        s.Next<HeartbeatCall>();
    }

    [Fact]
    public void A_follower_syncs_with_no_assignments_and_needs_no_metadata()
    {
        var s = new MembershipScript();
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), Joined("m-2", 3, "m-1"), s.Now);
        var sync = s.Next<SyncGroupCall>();
        Assert.Empty(sync.Request.Assignments);
        Assert.False(s.Member.IsLeader);
        s.Member.OnSyncGroup(sync, Synced(P("t", 2)), s.Now);
        Assert.Equal("Assign t-2", Show(Assert.Single(s.CompleteSteps())));
    }

    [Fact]
    public void The_protocol_the_coordinator_picked_decides_the_assignor_the_leader_runs()
    {
        var s = new MembershipScript();
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        // Both members say they own partitions; cooperative-sticky leaves them in place where range would not.
        byte[] mine = SubscriptionOf(["t"], 4, P("t", 2), P("t", 3));
        byte[] theirs = SubscriptionOf(["t"], 4, P("t", 0), P("t", 1));
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), Joined("a", 5, "a", "cooperative-sticky", ("a", mine), ("b", theirs)), s.Now);
        s.Member.OnMetadata(s.Next<MetadataCall>(), TopicsSnapshot.Of(false, ("t", 4)), s.Now);
        var sync = s.Next<SyncGroupCall>();
        var handedOut = sync.Request.Assignments.ToDictionary(a => a.MemberId, a => AssignorVectorTests.Show(ConsumerProtocolCodec.PartitionsOf(ConsumerProtocolCodec.ReadAssignment(a.Assignment))));
        Assert.Equal("t-2 t-3", handedOut["a"]);
        Assert.Equal("t-0 t-1", handedOut["b"]);
    }

    [Fact]
    public void A_protocol_this_member_did_not_offer_is_an_error_surfaced_from_poll()
    {
        var s = new MembershipScript(Eager());
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), Joined("a", 1, "b", "roundrobin"), s.Now);
        var e = Assert.Throws<KafkaException>(() => s.Member.Poll(s.Now));
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, e.Error.Code);
        s.NothingToSend(); // backing off
        s.Advance(100);
        s.Next<JoinGroupCall>();
    }

    [Fact]
    public void A_join_refused_again_and_again_is_surfaced_once_per_poll_not_piled_up()
    {
        var s = new MembershipScript(Eager());
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        for (int i = 0; i < 5; i++)
        {
            s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), new JoinGroupResponse { ErrorCode = (short)WireErrorCode.GroupMaxSizeReached }, s.Now);
            s.Advance(1_000);
        }
        Assert.Equal(ErrorCode.GroupMaxSizeReached, Assert.Throws<KafkaException>(() => s.Member.Poll(s.Now)).Error.Code);
        Assert.Null(s.Member.Poll(s.Now));
    }

    [Fact]
    public void Coordinator_loading_backs_off_then_retries_the_join()
    {
        var s = new MembershipScript();
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), new JoinGroupResponse { ErrorCode = (short)WireErrorCode.CoordinatorLoadInProgress }, s.Now);
        Assert.NotNull(s.Member.Coordinator);
        Assert.Equal(s.Now + 100, s.Member.NextWakeMs(s.Now));
        s.Advance(99);
        s.NothingToSend();
        s.Advance(1);
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), new JoinGroupResponse { ErrorCode = (short)WireErrorCode.CoordinatorLoadInProgress }, s.Now);
        s.Advance(199);
        s.NothingToSend(); // the backoff doubles
        s.Advance(1);
        s.Next<JoinGroupCall>();
    }

    [Fact]
    public void Not_coordinator_on_join_rediscovers_the_coordinator()
    {
        var s = new MembershipScript();
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), new JoinGroupResponse { ErrorCode = (short)WireErrorCode.NotCoordinator }, s.Now);
        Assert.Null(s.Member.Coordinator);
        s.Advance(100);
        s.FindCoordinator();
        s.Next<JoinGroupCall>();
    }

    [Fact]
    public void Coordinator_lookup_failures_retry_with_backoff_and_hard_ones_are_surfaced()
    {
        var s = new MembershipScript();
        s.Member.Subscribe(["t"], s.Now);
        var find = s.Next<FindCoordinatorCall>();
        s.Member.OnFindCoordinator(find, new FindCoordinatorResponse { ErrorCode = (short)WireErrorCode.CoordinatorNotAvailable }, s.Now);
        Assert.Null(s.Member.Poll(s.Now)); // retriable: nothing for the application to see
        s.Advance(100);
        find = s.Next<FindCoordinatorCall>();
        s.Member.OnFailure(find, new IOException("connection refused"), s.Now);
        s.Advance(200);
        find = s.Next<FindCoordinatorCall>();
        s.Member.OnFindCoordinator(find, new FindCoordinatorResponse { ErrorCode = (short)WireErrorCode.GroupAuthorizationFailed }, s.Now);
        Assert.Equal(ErrorCode.GroupAuthorizationFailed, Assert.Throws<KafkaException>(() => s.Member.Poll(s.Now)).Error.Code);
    }

    [Fact]
    public void Sync_answered_rebalance_in_progress_rejoins_keeping_the_generation()
    {
        var s = new MembershipScript();
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), Joined("m", 2, "x"), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), new SyncGroupResponse { ErrorCode = (short)WireErrorCode.RebalanceInProgress }, s.Now);
        var join = s.Next<JoinGroupCall>();
        Assert.Equal("m", join.Request.MemberId);
        Assert.Equal(2, SubscriptionIn(join).GenerationId);
    }

    [Fact]
    public void An_answer_to_an_abandoned_or_older_call_changes_nothing()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        s.Advance(3_000);
        var oldBeat = s.Next<HeartbeatCall>();
        s.Member.OnHeartbeat(oldBeat, Beat(WireErrorCode.RebalanceInProgress), s.Now);
        s.CompleteSteps(); // revoke
        var join = s.Next<JoinGroupCall>();
        s.Member.OnJoinGroup(join, Joined("m", 2, "x"), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), Synced(P("t", 1)), s.Now);
        s.CompleteSteps();
        // A late duplicate answer about generation 1 must not throw the member out of generation 2.
        s.Member.OnHeartbeat(oldBeat, Beat(WireErrorCode.UnknownMemberId), s.Now);
        Assert.Equal(2, s.Member.GenerationId);
        Assert.Equal("m", s.Member.MemberId);
    }
}
