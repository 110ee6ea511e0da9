using Gregor.Metadata.Controller;
using Gregor.Metadata.Records;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>
/// AlterPartition on the controller: a leader shrinks and expands its ISR, fenced by leader and partition epochs, with
/// only active brokers of the right epoch admitted, as Kafka's controller checks it.
/// </summary>
public sealed class AlterPartitionTests : IDisposable
{
    private readonly LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    private async Task<KafkaUuid> ThreeReplicasAsync(string name = "t")
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.AddBrokerAsync(4);
        return await _c.CreatePlacedAsync(name, [2, 3, 4]);
    }

    private Task<AlterPartitionOutcome> AlterAsync(KafkaUuid topic, int[] isr, int? leaderEpoch = null, int? partitionEpoch = null,
        int sender = 2, short version = 3, long? senderEpoch = null, string name = "t", int partition = 0,
        LeaderRecoveryState state = LeaderRecoveryState.Recovered, long[]? memberEpochs = null)
    {
        var current = _c.Image.Topic(topic) is { } t && partition >= 0 && partition < t.Partitions.Length ? t.Partitions[partition] : null;
        var members = isr.Select((id, i) => new IsrMember(id,
            memberEpochs is not null ? memberEpochs[i] : version >= 3 && _c.Epochs.TryGetValue(id, out long e) ? e : -1)).ToList();
        var change = new IsrChange(partition, leaderEpoch ?? current?.LeaderEpoch ?? 0, partitionEpoch ?? current?.PartitionEpoch ?? 0, members, state);
        return _c.Controller.AlterPartitionAsync(new AlterPartitionRequest(sender, senderEpoch ?? _c.Epochs[sender], version,
            [new TopicIsrChanges(version < 2 ? name : null, version >= 2 ? topic : KafkaUuid.Zero, [change])]));
    }

    private static PartitionIsrOutcome Single(AlterPartitionOutcome outcome)
    {
        Assert.Equal(ErrorCode.None, outcome.Error);
        return Assert.Single(Assert.Single(outcome.Topics).Partitions);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_leader_shrinks_and_expands_its_isr_and_each_change_bumps_only_the_partition_epoch(short version)
    {
        var topic = await ThreeReplicasAsync();
        var before = _c.Partition("t", 0);

        var shrunk = Single(await AlterAsync(topic, [2, 3], version: version));
        Assert.Equal((ErrorCode.None, 2, before.LeaderEpoch, before.PartitionEpoch + 1), (shrunk.Error, shrunk.Leader, shrunk.LeaderEpoch, shrunk.PartitionEpoch));
        Assert.Equal([2, 3], shrunk.Isr.ToArray());
        var p = _c.Partition("t", 0);
        Assert.Equal([2, 3], p.Isr.ToArray());
        Assert.Equal((before.LeaderEpoch, before.PartitionEpoch + 1), (p.LeaderEpoch, p.PartitionEpoch));

        var expanded = Single(await AlterAsync(topic, [2, 3, 4], version: version));
        Assert.Equal([2, 3, 4], expanded.Isr.ToArray());
        Assert.Equal(before.PartitionEpoch + 2, expanded.PartitionEpoch);
        Assert.Equal([2, 3, 4], _c.Partition("t", 0).Isr.ToArray());
    }

    [Fact]
    public async Task An_unchanged_isr_commits_nothing_and_answers_the_current_state()
    {
        var topic = await ThreeReplicasAsync();
        long offset = _c.Image.Offset;
        var same = Single(await AlterAsync(topic, [2, 3, 4]));
        Assert.Equal((ErrorCode.None, 0), (same.Error, same.PartitionEpoch));
        Assert.Equal(offset, _c.Image.Offset);
    }

    [Fact]
    public async Task A_stale_partition_epoch_is_refused_and_changes_nothing()
    {
        var topic = await ThreeReplicasAsync();
        Single(await AlterAsync(topic, [2, 3]));
        long offset = _c.Image.Offset;

        var stale = Single(await AlterAsync(topic, [2, 3, 4], partitionEpoch: 0));
        Assert.Equal(ErrorCode.InvalidUpdateVersion, stale.Error);
        Assert.Equal(offset, _c.Image.Offset);
        Assert.Equal([2, 3], _c.Partition("t", 0).Isr.ToArray());
    }

    [Fact]
    public async Task Epochs_ahead_of_the_controller_say_it_is_not_the_controller_and_an_older_leader_epoch_is_fenced()
    {
        var topic = await ThreeReplicasAsync();
        Assert.Equal(ErrorCode.NotController, Single(await AlterAsync(topic, [2, 3], partitionEpoch: 5)).Error);
        Assert.Equal(ErrorCode.NotController, Single(await AlterAsync(topic, [2, 3], leaderEpoch: 5)).Error);

        // A new leader epoch (the same leader elected again): a request of the epoch before is fenced.
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = topic, PartitionId = 0, Leader = 2 }]);
        Assert.Equal(ErrorCode.FencedLeaderEpoch, Single(await AlterAsync(topic, [2, 3], leaderEpoch: 0)).Error);
        Assert.Equal(ErrorCode.None, Single(await AlterAsync(topic, [2, 3], leaderEpoch: 1)).Error);
    }

    [Fact]
    public async Task Only_the_leader_may_change_the_isr_and_the_new_isr_holds_it_and_only_distinct_replicas()
    {
        var topic = await ThreeReplicasAsync();
        long offset = _c.Image.Offset;
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [3, 4], sender: 3)).Error);
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [3, 4])).Error);      // leaves out the leader
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [2, 1])).Error);      // 1 is no replica
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [2, 2])).Error);      // twice
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [])).Error);
        Assert.Equal(offset, _c.Image.Offset);
    }

    [Theory]
    [InlineData(1, ErrorCode.OperationNotAttempted)]
    [InlineData(2, ErrorCode.IneligibleReplica)]
    [InlineData(3, ErrorCode.IneligibleReplica)]
    public async Task A_fenced_or_shutting_down_broker_is_not_admitted_to_the_isr(short version, ErrorCode expected)
    {
        var topic = await ThreeReplicasAsync();
        Single(await AlterAsync(topic, [2, 3], version: version));
        await _c.HeartbeatAsync(4, wantFence: true);
        Assert.True(_c.Broker(4).Fenced);

        Assert.Equal(expected, Single(await AlterAsync(topic, [2, 3, 4], version: version)).Error);
        Assert.Equal([2, 3], _c.Partition("t", 0).Isr.ToArray());

        // Back, then shutting down (it leads nothing, so it is told to shut down at once and is fenced again).
        await _c.HeartbeatAsync(4);
        Assert.False(_c.Broker(4).Fenced);
        Assert.Equal(ErrorCode.None, Single(await AlterAsync(topic, [2, 3, 4], version: version)).Error);
    }

    [Fact]
    public async Task At_v3_a_member_of_another_broker_epoch_is_not_admitted_and_before_v3_no_epoch_is_checked()
    {
        var topic = await ThreeReplicasAsync();
        Single(await AlterAsync(topic, [2, 3]));
        long stale = _c.Epochs[4] - 1;
        Assert.Equal(ErrorCode.IneligibleReplica, Single(await AlterAsync(topic, [2, 3, 4], memberEpochs: [_c.Epochs[2], _c.Epochs[3], stale])).Error);
        Assert.Equal(ErrorCode.None, Single(await AlterAsync(topic, [2, 3, 4], memberEpochs: [-1, -1, -1])).Error);
    }

    [Fact]
    public async Task A_sender_not_registered_or_of_another_epoch_is_refused_as_a_whole()
    {
        var topic = await ThreeReplicasAsync();
        var outcome = await AlterAsync(topic, [2, 3], senderEpoch: _c.Epochs[2] + 1);
        Assert.Equal(ErrorCode.StaleBrokerEpoch, outcome.Error);
        Assert.Empty(outcome.Topics);
        _c.Epochs[9] = 0;
        Assert.Equal(ErrorCode.StaleBrokerEpoch, (await AlterAsync(topic, [2, 3], sender: 9)).Error);
    }

    [Fact]
    public async Task Unknown_topics_and_partitions_fail_with_the_versions_error()
    {
        var topic = await ThreeReplicasAsync();
        var unknown = KafkaUuid.NewRandom(new Random(3));
        Assert.Equal(ErrorCode.UnknownTopicId, Single(await AlterAsync(unknown, [2, 3], version: 2)).Error);
        Assert.Equal(ErrorCode.UnknownTopicId, Single(await AlterAsync(KafkaUuid.Zero, [2, 3], version: 3)).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Single(await AlterAsync(topic, [2, 3], version: 1, name: "nope")).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Single(await AlterAsync(topic, [2, 3], partition: 1)).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Single(await AlterAsync(topic, [2, 3], partition: -1)).Error);
    }

    [Fact]
    public async Task A_recovering_leader_keeps_an_isr_of_itself_until_it_says_it_has_recovered_and_never_goes_back()
    {
        var topic = await ThreeReplicasAsync();
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [2], state: LeaderRecoveryState.Recovering)).Error);

        // As an unclean election leaves it: the leader alone in the ISR, recovering.
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = topic, PartitionId = 0, Isr = [2], LeaderRecoveryState = (sbyte)LeaderRecoveryState.Recovering }]);
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [2, 3], state: LeaderRecoveryState.Recovering)).Error);
        Assert.Equal(ErrorCode.InvalidRequest, Single(await AlterAsync(topic, [2], state: (LeaderRecoveryState)5)).Error);

        var recovered = Single(await AlterAsync(topic, [2, 3], state: LeaderRecoveryState.Recovered));
        Assert.Equal((ErrorCode.None, LeaderRecoveryState.Recovered), (recovered.Error, recovered.RecoveryState));
        Assert.Equal(LeaderRecoveryState.Recovered, _c.Partition("t", 0).LeaderRecoveryState);
        Assert.Equal([2, 3], _c.Partition("t", 0).Isr.ToArray());
    }

    [Fact]
    public async Task An_inactive_controller_refuses_so_the_leader_looks_for_the_active_one()
    {
        var topic = await ThreeReplicasAsync();
        _c.Controller.Deactivate();
        await Assert.ThrowsAsync<ControllerNotActiveException>(() => AlterAsync(topic, [2, 3]));
    }
}
