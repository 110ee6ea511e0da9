using Gregor.Client.Consumer;
using Gregor.Client.Groups;
using Gregor.Protocol.Messages;
using static Gregor.Client.Tests.Groups.MembershipScript;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Groups;

/// <summary>Cooperative rebalancing (KIP-429) through the state machine: keep, revoke only what moves, rejoin once more.</summary>
public sealed class MembershipCooperativeTests
{
    private const string Sticky = CooperativeStickyAssignor.ProtocolName;

    [Fact]
    public void A_second_member_joining_takes_partitions_over_in_two_rebalances()
    {
        var s = new MembershipScript(Cooperative());
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        var join = s.Next<JoinGroupCall>();
        Assert.Equal([Sticky], join.Request.Protocols.Select(p => p.Name));
        s.Member.OnJoinGroup(join, Joined("a", 1, "a", Sticky, ("a", Own(join))), s.Now);
        s.Member.OnMetadata(s.Next<MetadataCall>(), TopicsSnapshot.Of(false, ("t", 4)), s.Now);
        Assert.Equal("t-0 t-1 t-2 t-3", Handed(s.Next<SyncGroupCall>(), "a", out var sync));
        s.Member.OnSyncGroup(sync, Synced(P("t", 0), P("t", 1), P("t", 2), P("t", 3)), s.Now);
        Assert.Equal("Assign t-0 t-1 t-2 t-3", Show(Assert.Single(s.CompleteSteps())));

        // b joins: the heartbeat says so. A cooperative member keeps everything and rejoins at once.
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.RebalanceInProgress), s.Now);
        Assert.Null(s.Member.Poll(s.Now));
        join = s.Next<JoinGroupCall>();
        var mine = SubscriptionIn(join, Sticky);
        Assert.Equal("t-0 t-1 t-2 t-3", AssignorVectorTests.Show(mine.OwnedPartitions.SelectMany(o => o.Partitions.Select(p => P(o.Topic, p)))));
        Assert.Equal(1, mine.GenerationId);
        Assert.Equal([0, 0, 0, 1], mine.UserData);

        // First rebalance: a keeps two; the two that move to b are still a's, so b gets nothing yet.
        s.Member.OnJoinGroup(join, Joined("a", 2, "a", Sticky, ("a", Own(join)), ("b", SubscriptionOf("t"))), s.Now);
        s.Member.OnMetadata(s.Next<MetadataCall>(), TopicsSnapshot.Of(false, ("t", 4)), s.Now);
        Assert.Equal("t-0 t-1", Handed(s.Next<SyncGroupCall>(), "a", out sync));
        Assert.Equal("", Handed(sync, "b", out _));
        s.Member.OnSyncGroup(sync, Synced(P("t", 0), P("t", 1)), s.Now);
        Assert.True(s.Member.RejoinNeeded);
        var steps = s.CompleteSteps();
        Assert.Equal(["Revoke t-2 t-3", "Assign "], steps.Select(Show));
        Assert.Equal(new GroupMemberIdentity(2, "a", null), s.Member.GetCommitIdentity());

        // It rejoins owning only what it kept; now b gets the rest.
        join = s.Next<JoinGroupCall>();
        Assert.Equal(2, SubscriptionIn(join, Sticky).GenerationId);
        s.Member.OnJoinGroup(join, Joined("a", 3, "a", Sticky, ("a", Own(join)), ("b", SubscriptionOf(["t"], 2))), s.Now);
        s.Member.OnMetadata(s.Next<MetadataCall>(), TopicsSnapshot.Of(false, ("t", 4)), s.Now);
        Assert.Equal("t-2 t-3", Handed(s.Next<SyncGroupCall>(), "b", out sync));
        s.Member.OnSyncGroup(sync, Synced(P("t", 0), P("t", 1)), s.Now);
        Assert.Equal(["Assign "], s.CompleteSteps().Select(Show));
        Assert.False(s.Member.RejoinNeeded);
        Assert.Equal("t-0 t-1", AssignorVectorTests.Show(s.Member.Owned));
    }

    [Fact]
    public void A_follower_revokes_only_what_the_assignment_took_away_and_rejoins()
    {
        var s = new MembershipScript(Cooperative());
        s.JoinAsFollower("b", 1, ["t"], P("t", 0), P("t", 1), P("t", 2));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.RebalanceInProgress), s.Now);
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), Joined("b", 2, "a", Sticky), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), Synced(P("t", 0), P("t", 2), P("t", 5)), s.Now);
        Assert.Equal(["Revoke t-1", "Assign t-5"], s.CompleteSteps().Select(Show));
        Assert.Equal("t-0 t-2 t-5", AssignorVectorTests.Show(s.Member.Owned));
        s.Next<JoinGroupCall>();
    }

    [Fact]
    public void Leaving_a_topic_revokes_only_its_partitions_before_rejoining()
    {
        var s = new MembershipScript(Cooperative());
        s.JoinAsFollower("b", 1, ["t", "u"], P("t", 0), P("u", 0));
        s.Member.Subscribe(["u"], s.Now);
        Assert.Equal(["Revoke t-0"], s.CompleteSteps().Select(Show));
        var owned = SubscriptionIn(s.Next<JoinGroupCall>(), Sticky).OwnedPartitions;
        Assert.Equal("u", Assert.Single(owned).Topic);
    }

    [Fact]
    public void A_reset_loses_everything_even_when_cooperative()
    {
        var s = new MembershipScript(Cooperative());
        s.JoinAsFollower("b", 1, ["t"], P("t", 0), P("t", 1));
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.IllegalGeneration), s.Now);
        Assert.Equal(["Lost t-0 t-1"], s.CompleteSteps().Select(Show));
        Assert.Empty(SubscriptionIn(s.Next<JoinGroupCall>(), Sticky).OwnedPartitions);
    }

    private static byte[] Own(JoinGroupCall join) => join.Request.Protocols.Single(p => p.Name == Sticky).Metadata;

    private static string Handed(SyncGroupCall sync, string member, out SyncGroupCall same)
    {
        same = sync;
        var bytes = sync.Request.Assignments.Single(a => a.MemberId == member).Assignment;
        return AssignorVectorTests.Show(ConsumerProtocolCodec.PartitionsOf(ConsumerProtocolCodec.ReadAssignment(bytes)));
    }
}
