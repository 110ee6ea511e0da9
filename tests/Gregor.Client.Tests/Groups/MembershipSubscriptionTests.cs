using Gregor.Client.Groups;
using Gregor.Protocol.Messages;
using static Gregor.Client.Tests.Groups.MembershipScript;

namespace Gregor.Client.Tests.Groups;

/// <summary>Regex subscriptions and the leader's watch over partition counts.</summary>
public sealed class MembershipSubscriptionTests
{
    [Fact]
    public void A_regex_is_matched_against_every_topic_before_joining_and_a_new_match_rebalances()
    {
        var s = new MembershipScript(Eager() with { MetadataMaxAge = TimeSpan.FromSeconds(10) });
        s.Member.Subscribe("orders-.*", s.Now);
        var calls = s.Calls();
        var metadata = Assert.IsType<MetadataCall>(calls.Single(c => c is MetadataCall));
        Assert.Null(metadata.Topics); // every topic
        var find = Assert.IsType<FindCoordinatorCall>(calls.Single(c => c is FindCoordinatorCall));
        s.Member.OnFindCoordinator(find, new FindCoordinatorResponse { NodeId = 1, Host = "h", Port = 1 }, s.Now);
        s.NothingToSend(); // no JoinGroup until the pattern is resolved
        var internalTopics = new HashSet<string> { "__consumer_offsets" };
        s.Member.OnMetadata(metadata, new TopicsSnapshot(
            new Dictionary<string, int> { ["orders-eu"] = 2, ["orders"] = 1, ["payments"] = 3, ["__consumer_offsets"] = 50 }, internalTopics, true), s.Now);
        Assert.Equal(["orders-eu"], s.Member.Subscription);
        var join = s.Next<JoinGroupCall>();
        Assert.Equal(["orders-eu"], SubscriptionIn(join).Topics);
        s.Member.OnJoinGroup(join, Joined("m", 1, "x"), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), Synced(P("orders-eu", 0)), s.Now);
        s.CompleteSteps();

        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(1_000);
        metadata = s.Next<MetadataCall>(); // metadata.max.age.ms after the last look
        Assert.Null(metadata.Topics);
        s.Member.OnMetadata(metadata, new TopicsSnapshot(
            new Dictionary<string, int> { ["orders-eu"] = 2, ["orders-us"] = 1, ["__consumer_offsets"] = 50 }, internalTopics, true), s.Now);
        Assert.True(s.Member.RejoinNeeded);
        Assert.Equal(["Revoke orders-eu-0"], s.CompleteSteps().Select(Show));
        s.Advance(2_000);
        var rejoin = Assert.IsType<JoinGroupCall>(Assert.Single(s.Calls()));
        Assert.Equal(["orders-eu", "orders-us"], SubscriptionIn(rejoin).Topics);
    }

    [Fact]
    public void Switching_to_a_regex_keeps_heartbeating_until_the_pattern_is_resolved()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["a"], P("a", 0));
        s.Member.Subscribe("b.*", s.Now);
        var metadata = s.Next<MetadataCall>();
        s.Advance(3_000);
        s.Next<HeartbeatCall>(); // still a member while the metadata is on its way
        s.Member.OnMetadata(metadata, TopicsSnapshot.Of(true, ("a", 1), ("b1", 1)), s.Now);
        Assert.Equal(["b1"], s.Member.Subscription);
        Assert.Equal(["Revoke a-0"], s.CompleteSteps().Select(Show));
    }

    [Fact]
    public void Internal_topics_match_a_regex_only_when_they_are_not_excluded()
    {
        var s = new MembershipScript(Eager() with { ExcludeInternalTopics = false });
        s.Member.Subscribe(".*", s.Now);
        s.Member.OnMetadata((MetadataCall)s.Calls().Single(c => c is MetadataCall), new TopicsSnapshot(
            new Dictionary<string, int> { ["a"] = 1, ["__consumer_offsets"] = 50 }, new HashSet<string> { "__consumer_offsets" }, true), s.Now);
        Assert.Equal(["__consumer_offsets", "a"], s.Member.Subscription);
    }

    [Fact]
    public void The_leader_rebalances_when_a_subscribed_topic_gains_partitions()
    {
        var s = new MembershipScript(Eager() with { MetadataMaxAge = TimeSpan.FromSeconds(5) });
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        var join = s.Next<JoinGroupCall>();
        byte[] mine = join.Request.Protocols[0].Metadata;
        // The other member also subscribes to u: the leader watches every member's topics.
        s.Member.OnJoinGroup(join, Joined("a", 1, "a", "range", ("a", mine), ("b", SubscriptionOf("t", "u"))), s.Now);
        s.Member.OnMetadata(s.Next<MetadataCall>(), TopicsSnapshot.Of(false, ("t", 2), ("u", 2)), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), Synced(P("t", 0)), s.Now);
        s.CompleteSteps();

        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(2_000);
        var look = s.Next<MetadataCall>();
        Assert.Equal(["t", "u"], look.Topics);
        s.Member.OnMetadata(look, TopicsSnapshot.Of(false, ("t", 2), ("u", 2)), s.Now);
        Assert.False(s.Member.RejoinNeeded);

        s.Advance(1_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(), s.Now);
        s.Advance(1_000);
        look = s.Next<MetadataCall>();
        s.Member.OnMetadata(look, TopicsSnapshot.Of(false, ("t", 2), ("u", 3)), s.Now);
        Assert.True(s.Member.RejoinNeeded);
    }

    [Fact]
    public void Failed_metadata_is_retried_with_backoff_and_the_leader_assigns_once_it_arrives()
    {
        var s = new MembershipScript(Eager());
        s.Member.Subscribe(["t"], s.Now);
        s.FindCoordinator();
        var join = s.Next<JoinGroupCall>();
        s.Member.OnJoinGroup(join, Joined("a", 1, "a", "range", ("a", join.Request.Protocols[0].Metadata)), s.Now);
        var metadata = s.Next<MetadataCall>();
        s.Member.OnFailure(metadata, new IOException("broken pipe"), s.Now);
        s.NothingToSend();
        s.Advance(100);
        s.Member.OnMetadata(s.Next<MetadataCall>(), TopicsSnapshot.Of(false, ("t", 1)), s.Now);
        s.Next<SyncGroupCall>();
    }

    [Fact]
    public void A_topic_missing_from_metadata_is_left_out_of_the_assignment()
    {
        var s = new MembershipScript(Eager());
        s.Member.Subscribe(["t", "not-yet"], s.Now);
        s.FindCoordinator();
        var join = s.Next<JoinGroupCall>();
        s.Member.OnJoinGroup(join, Joined("a", 1, "a", "range", ("a", join.Request.Protocols[0].Metadata)), s.Now);
        s.Member.OnMetadata(s.Next<MetadataCall>(), TopicsSnapshot.Of(false, ("t", 1)), s.Now);
        var sync = s.Next<SyncGroupCall>();
        var partitions = ConsumerProtocolCodec.PartitionsOf(ConsumerProtocolCodec.ReadAssignment(sync.Request.Assignments.Single().Assignment));
        Assert.Equal("t-0", AssignorVectorTests.Show(partitions));
    }
}
