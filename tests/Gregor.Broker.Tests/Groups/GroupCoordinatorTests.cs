using Gregor.Broker.Groups;
using Gregor.Protocol;
using static Gregor.Broker.Tests.Groups.Coordinators;

namespace Gregor.Broker.Tests.Groups;

public sealed class GroupCoordinatorTests
{
    private readonly FakeClock _clock = new();
    private readonly MemoryGroupLog _log = new();

    private async Task<(string MemberId, JoinGroupResult Joined)> JoinNew(GroupCoordinator c, string group, Action? whileWaiting = null, byte[]? metadata = null)
    {
        JoinGroupResult first = await c.JoinGroupAsync(Join(group, metadata: metadata));
        Assert.Equal(ErrorCode.MemberIdRequired, first.Error);
        Assert.StartsWith("client-", first.MemberId);
        Task<JoinGroupResult> joining = c.JoinGroupAsync(Join(group, first.MemberId, metadata: metadata));
        whileWaiting?.Invoke();
        return (first.MemberId, await joining);
    }

    [Fact]
    public async Task FirstJoinWaitsForTheInitialDelayThenSyncMakesTheGroupStable()
    {
        var c = Start(_log, _clock);
        JoinGroupResult first = await c.JoinGroupAsync(Join("g"));
        Task<JoinGroupResult> joining = c.JoinGroupAsync(Join("g", first.MemberId));
        c.Poll();
        Assert.False(joining.IsCompleted);
        _clock.Advance(2999);
        c.Poll();
        Assert.False(joining.IsCompleted);
        _clock.Advance(1);
        c.Poll();
        JoinGroupResult joined = await joining;
        Assert.Equal(ErrorCode.None, joined.Error);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal(first.MemberId, joined.LeaderId);
        Assert.Equal("range", joined.ProtocolName);
        Assert.Single(joined.Members);
        Assert.Equal(GroupState.CompletingRebalance, c.Inspect("g")!.Value.State);

        SyncGroupResult synced = await c.SyncGroupAsync(new SyncGroupArgs("g", 1, first.MemberId, null, "consumer", "range", [(first.MemberId, Partitions([0, 1]))]));
        Assert.Equal(ErrorCode.None, synced.Error);
        Assert.Equal([0, 1], ReadPartitions(synced.Assignment));
        Assert.Equal(GroupState.Stable, c.Inspect("g")!.Value.State);
        Assert.Equal(ErrorCode.None, c.Heartbeat("g", first.MemberId, null, 1));
        Assert.Equal(ErrorCode.IllegalGeneration, c.Heartbeat("g", first.MemberId, null, 0));
        Assert.Equal(ErrorCode.UnknownMemberId, c.Heartbeat("g", "nobody", null, 1));
    }

    private async Task<(GroupCoordinator C, string Leader)> StableGroupOfOne()
    {
        var c = Start(_log, _clock);
        var (leader, _) = await JoinNew(c, "g", () => { _clock.Advance(3000); c.Poll(); }, Subscription("t"));
        SyncGroupResult synced = await c.SyncGroupAsync(new SyncGroupArgs("g", 1, leader, null, null, null, [(leader, Partitions([0, 1, 2]))]));
        Assert.Equal(ErrorCode.None, synced.Error);
        return (c, leader);
    }

    [Fact]
    public async Task ASecondMemberTriggersARebalanceThatTheFirstLearnsOfByHeartbeat()
    {
        var (c, leader) = await StableGroupOfOne();
        JoinGroupResult second = await c.JoinGroupAsync(Join("g"));
        Task<JoinGroupResult> secondJoin = c.JoinGroupAsync(Join("g", second.MemberId));
        Assert.Equal(ErrorCode.RebalanceInProgress, c.Heartbeat("g", leader, null, 1));
        Assert.False(secondJoin.IsCompleted);
        // Committing during the join phase is still allowed for the current generation (eager consumers commit before revoking).
        var commit = c.CommitOffsets(new OffsetCommitArgs("g", 1, leader, null, [new OffsetToCommit("t", 0, 42, -1, null)]));
        Assert.Equal(ErrorCode.None, commit[0].Error);
        Task<JoinGroupResult> leaderJoin = c.JoinGroupAsync(Join("g", leader));
        JoinGroupResult a = await leaderJoin, b = await secondJoin;
        Assert.Equal(2, a.GenerationId);
        Assert.Equal(2, b.GenerationId);
        Assert.Equal(2, a.Members.Count);
        Assert.Empty(b.Members);
        // Between JoinGroup and SyncGroup, as Kafka checks: who commits first (an old generation is
        // ILLEGAL_GENERATION, no member at all UNKNOWN_MEMBER_ID), then the state (REBALANCE_IN_PROGRESS).
        Assert.Equal(GroupState.CompletingRebalance, c.Inspect("g")!.Value.State);
        Assert.Equal(ErrorCode.RebalanceInProgress, c.CommitOffsets(new OffsetCommitArgs("g", 2, leader, null, [new OffsetToCommit("t", 0, 43, -1, null)]))[0].Error);
        Assert.Equal(ErrorCode.IllegalGeneration, c.CommitOffsets(new OffsetCommitArgs("g", 1, leader, null, [new OffsetToCommit("t", 0, 43, -1, null)]))[0].Error);
        Assert.Equal(ErrorCode.UnknownMemberId, c.CommitOffsets(new OffsetCommitArgs("g", -1, "", null, [new OffsetToCommit("t", 0, 43, -1, null)]))[0].Error);
        Task<SyncGroupResult> followerSync = c.SyncGroupAsync(new SyncGroupArgs("g", 2, second.MemberId, null, null, null, []));
        Assert.False(followerSync.IsCompleted);
        SyncGroupResult leaderSync = await c.SyncGroupAsync(new SyncGroupArgs("g", 2, leader, null, null, null,
            [(leader, Partitions([0, 1])), (second.MemberId, Partitions([2]))]));
        Assert.Equal([0, 1], ReadPartitions(leaderSync.Assignment));
        Assert.Equal([2], ReadPartitions((await followerSync).Assignment));
        // An old generation's commit is refused.
        var stale = c.CommitOffsets(new OffsetCommitArgs("g", 1, leader, null, [new OffsetToCommit("t", 0, 50, -1, null)]));
        Assert.Equal(ErrorCode.IllegalGeneration, stale[0].Error);
    }

    [Fact]
    public async Task AMemberWithoutHeartbeatsIsRemovedAfterItsSessionTimeout()
    {
        var (c, leader) = await StableGroupOfOne();
        _clock.Advance(9999);
        c.Poll();
        Assert.Equal(GroupState.Stable, c.Inspect("g")!.Value.State);
        Assert.Equal(ErrorCode.None, c.Heartbeat("g", leader, null, 1));
        _clock.Advance(10_000);
        c.Poll();
        var g = c.Inspect("g")!.Value;
        Assert.Equal(GroupState.Empty, g.State);
        Assert.Equal(2, g.Generation);
        Assert.Empty(g.Members);
        Assert.Equal(ErrorCode.UnknownMemberId, c.Heartbeat("g", leader, null, 1));
    }

    [Fact]
    public async Task RequestsAreCheckedAsKafkaChecksThem()
    {
        var c = Start(_log, _clock);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, (await c.JoinGroupAsync(Join("g", sessionMs: 5999))).Error);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, (await c.JoinGroupAsync(Join("g", sessionMs: 300_001))).Error);
        Assert.Equal(ErrorCode.InvalidGroupId, (await c.JoinGroupAsync(Join(""))).Error);
        Assert.Equal(ErrorCode.UnknownMemberId, (await c.JoinGroupAsync(Join("g", "made-up"))).Error);
        var (leader, _) = await JoinNew(c, "g", () => { _clock.Advance(3000); c.Poll(); });
        var other = await c.JoinGroupAsync(Join("g", protocol: "roundrobin"));
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, other.Error);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, (await c.SyncGroupAsync(new SyncGroupArgs("g", 1, leader, null, "consumer", "other", []))).Error);
        Assert.Equal(ErrorCode.IllegalGeneration, (await c.SyncGroupAsync(new SyncGroupArgs("g", 7, leader, null, null, null, []))).Error);
        Assert.Equal(ErrorCode.NonEmptyGroup, c.DeleteGroup("g"));
        Assert.Equal(ErrorCode.GroupIdNotFound, c.DeleteGroup("unknown"));

        var unowned = new GroupCoordinator(Config, _log, _clock);
        Assert.Equal(ErrorCode.NotCoordinator, (await unowned.JoinGroupAsync(Join("g"))).Error);
        unowned.BeginLoading(unowned.PartitionFor("g"));
        Assert.Equal(ErrorCode.CoordinatorLoadInProgress, (await unowned.JoinGroupAsync(Join("g"))).Error);
        Assert.Equal(ErrorCode.CoordinatorLoadInProgress, unowned.FetchOffsets("g", null).Error);
    }

    [Fact]
    public async Task GroupMaxSizeRefusesTheMemberTooMany()
    {
        var c = Start(_log, _clock, Config with { GroupMaxSize = 2 });
        await c.JoinGroupAsync(Join("g"));
        await c.JoinGroupAsync(Join("g"));
        Assert.Equal(ErrorCode.GroupMaxSizeReached, (await c.JoinGroupAsync(Join("g"))).Error);
    }

    [Fact]
    public async Task AStaticMemberRejoiningWithoutItsIdFencesTheOldIdAndKeepsItsAssignment()
    {
        var c = Start(_log, _clock);
        Task<JoinGroupResult> joining = c.JoinGroupAsync(Join("g", instanceId: "i-1"));
        _clock.Advance(3000);
        c.Poll();
        JoinGroupResult joined = await joining;
        Assert.Equal(ErrorCode.None, joined.Error);
        await c.SyncGroupAsync(new SyncGroupArgs("g", 1, joined.MemberId, "i-1", null, null, [(joined.MemberId, Partitions([5]))]));

        JoinGroupResult again = await c.JoinGroupAsync(Join("g", instanceId: "i-1"));
        Assert.Equal(ErrorCode.None, again.Error);
        Assert.NotEqual(joined.MemberId, again.MemberId);
        Assert.Equal(1, again.GenerationId);
        Assert.Equal(ErrorCode.FencedInstanceId, c.Heartbeat("g", joined.MemberId, "i-1", 1));
        SyncGroupResult synced = await c.SyncGroupAsync(new SyncGroupArgs("g", 1, again.MemberId, "i-1", null, null, []));
        Assert.Equal([5], ReadPartitions(synced.Assignment));
        var leave = c.LeaveGroup("g", [new LeavingMember(joined.MemberId, "i-1")]);
        Assert.Equal(ErrorCode.FencedInstanceId, leave.Members[0].Error);
        leave = c.LeaveGroup("g", [new LeavingMember(again.MemberId, "i-1")]);
        Assert.Equal(ErrorCode.None, leave.Members[0].Error);
        Assert.Equal(GroupState.Empty, c.Inspect("g")!.Value.State);
    }

    [Fact]
    public async Task StandaloneCommitsAndFetchesAndOffsetDelete()
    {
        var c = Start(_log, _clock);
        var committed = c.CommitOffsets(new OffsetCommitArgs("solo", -1, "", null,
            [new OffsetToCommit("t", 0, 10, 3, "meta"), new OffsetToCommit("t", 1, 20, -1, null), new OffsetToCommit("t", 2, 1, -1, new string('x', 4097))]));
        Assert.Equal([ErrorCode.None, ErrorCode.None, ErrorCode.OffsetMetadataTooLarge], committed.Select(r => r.Error));
        OffsetFetchResult all = c.FetchOffsets("solo", null);
        Assert.Equal(2, all.Offsets.Count);
        Assert.Equal((10L, 3, "meta"), (all.Offsets[0].Offset!.Offset, all.Offsets[0].Offset!.LeaderEpoch, all.Offsets[0].Offset!.Metadata));
        OffsetFetchResult some = c.FetchOffsets("solo", [("t", [1, 7])]);
        Assert.Equal(20, some.Offsets[0].Offset!.Offset);
        Assert.Null(some.Offsets[1].Offset);
        Assert.Empty(c.FetchOffsets("nobody", null).Offsets);
        Assert.Equal(ErrorCode.IllegalGeneration, c.CommitOffsets(new OffsetCommitArgs("new", 3, "m", null, [new OffsetToCommit("t", 0, 1, -1, null)]))[0].Error);

        var (error, deleted) = c.DeleteOffsets("solo", [("t", 0)]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(ErrorCode.None, deleted[0].Error);
        Assert.Single(c.FetchOffsets("solo", null).Offsets);
        Assert.Equal(ErrorCode.None, c.DeleteGroup("solo"));
        Assert.Empty(c.FetchOffsets("solo", null).Offsets);

        var (c2, leader) = await StableGroupOfOne();
        c2.CommitOffsets(new OffsetCommitArgs("g", 1, leader, null, [new OffsetToCommit("t", 0, 5, -1, null), new OffsetToCommit("u", 0, 5, -1, null)]));
        var (_, refused) = c2.DeleteOffsets("g", [("t", 0), ("u", 0)]);
        Assert.Equal([ErrorCode.GroupSubscribedToTopic, ErrorCode.None], refused.Select(r => r.Error));
    }

    [Fact]
    public async Task ARestartedCoordinatorRebuildsGroupsAndOffsetsFromItsLog()
    {
        var (c, leader) = await StableGroupOfOne();
        c.CommitOffsets(new OffsetCommitArgs("g", 1, leader, null, [new OffsetToCommit("t", 0, 7, 2, "m")]));
        c.CommitOffsets(new OffsetCommitArgs("g", 1, leader, null, [new OffsetToCommit("t", 0, 9, 2, "m2")]));
        c.CommitOffsets(new OffsetCommitArgs("gone", -1, "", null, [new OffsetToCommit("t", 0, 1, -1, null)]));
        Assert.Equal(ErrorCode.None, c.DeleteGroup("gone"));

        var restarted = Start(_log, _clock);
        var g = restarted.Inspect("g")!.Value;
        Assert.Equal((GroupState.Stable, 1, leader), (g.State, g.Generation, g.Leader));
        Assert.Equal("range", g.Protocol);
        Assert.Equal(9, restarted.FetchOffsets("g", null).Offsets.Single().Offset!.Offset);
        Assert.Null(restarted.Inspect("gone"));
        // The member carries on with its generation, and gets its assignment back.
        Assert.Equal(ErrorCode.None, restarted.Heartbeat("g", leader, null, 1));
        Assert.Equal([0, 1, 2], ReadPartitions((await restarted.SyncGroupAsync(new SyncGroupArgs("g", 1, leader, null, null, null, []))).Assignment));
        Assert.Equal("Stable", restarted.DescribeGroup("g").State);
    }

    [Fact]
    public void AFailedAppendIsNotAcknowledgedAndChangesNothing()
    {
        var c = Start(_log, _clock);
        _log.FailWith = ErrorCode.NotLeaderOrFollower;
        var results = c.CommitOffsets(new OffsetCommitArgs("solo", -1, "", null, [new OffsetToCommit("t", 0, 10, -1, null)]));
        Assert.Equal(ErrorCode.NotCoordinator, results[0].Error);
        _log.FailWith = ErrorCode.None;
        Assert.Null(c.FetchOffsets("solo", [("t", [0])]).Offsets[0].Offset);
    }

    [Fact]
    public async Task OffsetsOfAnEmptyGroupExpireAfterTheRetentionCountedFromWhenItBecameEmpty()
    {
        var config = Config with { OffsetsRetentionMinutes = 10 };
        var c = Start(_log, _clock, config);
        var (leader, _) = await JoinNew(c, "g", () => { _clock.Advance(3000); c.Poll(); });
        await c.SyncGroupAsync(new SyncGroupArgs("g", 1, leader, null, null, null, []));
        c.CommitOffsets(new OffsetCommitArgs("g", 1, leader, null, [new OffsetToCommit("t", 0, 5, -1, null)]));
        _clock.Advance(20 * 60_000 - 1); // long after the commit, but the group is active: kept
        Assert.Equal(ErrorCode.None, c.Heartbeat("g", leader, null, 1));
        Assert.Equal(0, c.ExpireOffsets());
        c.LeaveGroup("g", [new LeavingMember(leader, null)]);
        Assert.Equal(GroupState.Empty, c.Inspect("g")!.Value.State);
        _clock.Advance(10 * 60_000 - 1);
        Assert.Equal(0, c.ExpireOffsets());
        _clock.Advance(1);
        Assert.Equal(1, c.ExpireOffsets());
        Assert.Null(c.Inspect("g"));
        Assert.Null(Start(_log, _clock, config).Inspect("g"));
    }

    [Fact]
    public void JavaHashPlacesGroupsAsKafkaDoes()
    {
        Assert.Equal(99162322, OffsetsTopic.JavaStringHashCode("hello"));
        Assert.Equal(0, OffsetsTopic.JavaStringHashCode(""));
        // "polygenelubricants".hashCode() is Integer.MIN_VALUE; Kafka's abs maps it to 0.
        Assert.Equal(int.MinValue, OffsetsTopic.JavaStringHashCode("polygenelubricants"));
        Assert.Equal(0, OffsetsTopic.PartitionFor("polygenelubricants", 50));
        Assert.Equal(99162322 % 50, OffsetsTopic.PartitionFor("hello", 50));
    }

    [Fact]
    public void RecordsHaveKafkasLayout()
    {
        byte[] key = GroupRecords.OffsetKey("g", "t", 3);
        Assert.Equal(new byte[] { 0, 1, 0, 1, (byte)'g', 0, 1, (byte)'t', 0, 0, 0, 3 }, key);
        Assert.Equal(new byte[] { 0, 2, 0, 1, (byte)'g' }, GroupRecords.GroupKey("g"));
        byte[] value = GroupRecords.OffsetValue(new CommittedOffset(5, 7, "m", 9));
        Assert.Equal(new byte[] { 0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 7, 0, 1, (byte)'m', 0, 0, 0, 0, 0, 0, 0, 9 }, value);
        Assert.Equal(new CommittedOffset(5, 7, "m", 9), GroupRecords.ReadOffsetValue(value));
        var group = new StoredGroup("consumer", 4, "range", "m1", 123, [new StoredMember("m1", "i", "c", "/h", 30000, 10000, [1, 2], [3])]);
        StoredGroup back = GroupRecords.ReadGroupValue(GroupRecords.GroupValue(group));
        Assert.Equal((group.ProtocolType, group.Generation, group.ProtocolName, group.Leader, group.StateTimestampMs), (back.ProtocolType, back.Generation, back.ProtocolName, back.Leader, back.StateTimestampMs));
        Assert.Equal(group.Members[0] with { Subscription = [], Assignment = [] }, back.Members[0] with { Subscription = [], Assignment = [] });
        Assert.Equal(new byte[] { 1, 2 }, back.Members[0].Subscription);
    }
}
