using Gregor.Client.Consumer;
using Gregor.Client.Groups;
using static Gregor.Client.Tests.Groups.MembershipScript;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Groups;

/// <summary>What commits carry, and what a refused commit does to the membership.</summary>
public sealed class MembershipCommitTests
{
    [Fact]
    public void Commits_carry_the_generation_member_id_and_instance_id()
    {
        var s = new MembershipScript(Eager("instance-1"));
        s.Member.Subscribe(["t"], s.Now);
        Assert.Equal(ErrorCode.RebalanceInProgress, Assert.Throws<KafkaException>(() => s.Member.GetCommitIdentity()).Error.Code);
        s.FindCoordinator();
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), Joined("m", 4, "x"), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), Synced(P("t", 0)), s.Now);
        Assert.Equal(new GroupMemberIdentity(4, "m", "instance-1"), s.Member.GetCommitIdentity());
    }

    [Theory]
    [InlineData(WireErrorCode.IllegalGeneration)]
    [InlineData(WireErrorCode.UnknownMemberId)]
    public void A_commit_refused_because_the_group_moved_on_fails_and_the_partitions_are_lost(WireErrorCode error)
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        var who = s.Member.GetCommitIdentity();
        var e = s.Member.OnCommitError(error, who, s.Now);
        Assert.Equal(error.ToClientErrorCode(), e!.Error.Code);
        Assert.Contains("commit failed", e.Message, StringComparison.Ordinal);
        Assert.Equal(["Lost t-0"], s.CompleteSteps().Select(Show));
        Assert.Equal("", s.Next<JoinGroupCall>().Request.MemberId);
    }

    [Fact]
    public void A_commit_during_a_rebalance_fails_as_rebalancing_and_the_member_rejoins()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        var e = s.Member.OnCommitError(WireErrorCode.RebalanceInProgress, s.Member.GetCommitIdentity(), s.Now);
        Assert.Equal(ErrorCode.RebalanceInProgress, e!.Error.Code);
        Assert.True(s.Member.RejoinNeeded);
        Assert.Equal(["Revoke t-0"], s.CompleteSteps().Select(Show));
    }

    [Fact]
    public void A_refusal_of_an_older_generations_commit_does_not_reset_the_current_one()
    {
        var s = new MembershipScript(Eager());
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        var old = s.Member.GetCommitIdentity();
        s.Advance(3_000);
        s.Member.OnHeartbeat(s.Next<HeartbeatCall>(), Beat(WireErrorCode.RebalanceInProgress), s.Now);
        s.CompleteSteps();
        s.Member.OnJoinGroup(s.Next<JoinGroupCall>(), Joined("m", 2, "x"), s.Now);
        s.Member.OnSyncGroup(s.Next<SyncGroupCall>(), Synced(P("t", 0)), s.Now);
        s.CompleteSteps();
        Assert.NotNull(s.Member.OnCommitError(WireErrorCode.IllegalGeneration, old, s.Now));
        Assert.Equal(2, s.Member.GenerationId);
        Assert.Empty(s.CompleteSteps());
    }

    [Fact]
    public void Other_answers_are_not_the_groups_business_and_fenced_is_fatal()
    {
        var s = new MembershipScript(Eager("instance-1"));
        s.JoinAsFollower("m", 1, ["t"], P("t", 0));
        var who = s.Member.GetCommitIdentity();
        Assert.Null(s.Member.OnCommitError(WireErrorCode.None, who, s.Now));
        Assert.Null(s.Member.OnCommitError(WireErrorCode.OffsetMetadataTooLarge, who, s.Now));
        Assert.Null(s.Member.OnCommitError(WireErrorCode.NotCoordinator, who, s.Now));
        Assert.Null(s.Member.Coordinator); // rediscovered before the next heartbeat
        var fenced = s.Member.OnCommitError(WireErrorCode.FencedInstanceId, who, s.Now);
        Assert.True(fenced!.Error.IsFatal);
        Assert.Equal(MembershipState.Failed, s.Member.State);
    }
}
