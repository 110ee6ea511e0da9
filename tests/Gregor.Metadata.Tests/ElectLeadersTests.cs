using Gregor.Metadata.Controller;
using Gregor.Metadata.Records;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>ElectLeaders on the controller: preferred and unclean elections by Kafka's rules.</summary>
public sealed class ElectLeadersTests : IDisposable
{
    private readonly LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    private async Task<KafkaUuid> ThreeBrokersAsync(string name, params int[][] replicas)
    {
        foreach (int id in new[] { 2, 3, 4 })
            if (!_c.Image.Brokers.ContainsKey(id)) await _c.AddBrokerAsync(id);
        return await _c.CreatePlacedAsync(name, replicas);
    }

    private async Task<PartitionElectionOutcome> ElectOneAsync(ElectionType type, string topic, int partition)
    {
        var outcome = Assert.Single(await _c.Controller.ElectLeadersAsync(type, [new ElectionTopic(topic, [partition])]));
        Assert.Equal(topic, outcome.Topic);
        return Assert.Single(outcome.Partitions);
    }

    [Fact]
    public async Task A_preferred_election_moves_leadership_back_to_the_first_replica_once_it_is_in_the_isr()
    {
        var id = await ThreeBrokersAsync("t", [2, 3, 4]);
        // Leadership went to 3 (as after 2 was away); 2 is back in the ISR.
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = id, PartitionId = 0, Leader = 3 }]);
        var before = _c.Partition("t", 0);

        var result = await ElectOneAsync(ElectionType.Preferred, "t", 0);

        Assert.Equal(ErrorCode.None, result.Error);
        var after = _c.Partition("t", 0);
        Assert.Equal(2, after.Leader);
        Assert.Equal(before.LeaderEpoch + 1, after.LeaderEpoch);
        Assert.Equal([2, 3, 4], after.Isr.ToArray());
        Assert.Equal(ErrorCode.ElectionNotNeeded, (await ElectOneAsync(ElectionType.Preferred, "t", 0)).Error);
    }

    [Fact]
    public async Task A_preferred_replica_out_of_the_isr_or_fenced_cannot_lead()
    {
        var id = await ThreeBrokersAsync("t", [2, 3, 4], [3, 2, 4]);
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = id, PartitionId = 0, Leader = 3, Isr = [3, 4] }]);
        long offset = _c.Image.Offset;
        var outOfIsr = await ElectOneAsync(ElectionType.Preferred, "t", 0);
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, outOfIsr.Error);
        Assert.Equal(offset, _c.Image.Offset);

        // Partition 1's preferred replica 3 is fenced: its leadership moved to 2, and it cannot take it back.
        await _c.HeartbeatAsync(3, wantFence: true);
        Assert.Equal(2, _c.Partition("t", 1).Leader);
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, (await ElectOneAsync(ElectionType.Preferred, "t", 1)).Error);
        Assert.Equal(2, _c.Partition("t", 1).Leader);
    }

    [Fact]
    public async Task Unknown_topics_and_partitions_fail_on_their_own()
    {
        await ThreeBrokersAsync("t", [2, 3, 4]);
        var outcomes = await _c.Controller.ElectLeadersAsync(ElectionType.Preferred,
            [new ElectionTopic("nope", [0]), new ElectionTopic("t", [1, -1, 0])]);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Assert.Single(outcomes[0].Partitions).Error);
        Assert.Equal([ErrorCode.UnknownTopicOrPartition, ErrorCode.UnknownTopicOrPartition, ErrorCode.ElectionNotNeeded],
            outcomes[1].Partitions.Select(p => p.Error).ToArray());
    }

    [Fact]
    public async Task All_partitions_elects_where_needed_and_leaves_out_partitions_already_led_by_their_preferred_replica()
    {
        var id = await ThreeBrokersAsync("a", [2, 3, 4], [3, 4, 2], [4, 2, 3]);
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = id, PartitionId = 1, Leader = 2 }]);

        var outcomes = await _c.Controller.ElectLeadersAsync(ElectionType.Preferred, null);

        var a = Assert.Single(outcomes, o => o.Topic == "a");
        var only = Assert.Single(a.Partitions);
        Assert.Equal((1, ErrorCode.None), (only.Partition, only.Error));
        Assert.Equal([2, 3, 4], _c.Image.Topic("a")!.Partitions.Select(p => p.Leader).ToArray());
    }

    [Fact]
    public async Task An_unclean_election_is_not_needed_while_the_partition_has_a_leader()
    {
        await ThreeBrokersAsync("t", [2, 3, 4]);
        Assert.Equal(ErrorCode.ElectionNotNeeded, (await ElectOneAsync(ElectionType.Unclean, "t", 0)).Error);
    }

    [Fact]
    public async Task An_unclean_election_gives_a_leaderless_partition_an_active_replica_outside_the_isr_which_is_recovering()
    {
        var id = await ThreeBrokersAsync("t", [2, 3, 4]);
        // Only 2 was in the ISR, and 2 is fenced: the partition has no leader.
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = id, PartitionId = 0, Isr = [2] }]);
        await _c.HeartbeatAsync(2, wantFence: true);
        Assert.Equal(-1, _c.Partition("t", 0).Leader);
        Assert.Equal(ErrorCode.PreferredLeaderNotAvailable, (await ElectOneAsync(ElectionType.Preferred, "t", 0)).Error);

        var result = await ElectOneAsync(ElectionType.Unclean, "t", 0);

        Assert.Equal(ErrorCode.None, result.Error);
        var p = _c.Partition("t", 0);
        Assert.Equal(3, p.Leader);
        Assert.Equal([3], p.Isr.ToArray());
        Assert.Equal(LeaderRecoveryState.Recovering, p.LeaderRecoveryState);
    }

    [Fact]
    public async Task An_unclean_election_with_no_active_replica_finds_no_eligible_leader()
    {
        var id = await ThreeBrokersAsync("t", [2, 3]);
        await _c.HeartbeatAsync(2, wantFence: true);
        await _c.HeartbeatAsync(3, wantFence: true);
        Assert.Equal(-1, _c.Partition("t", 0).Leader);
        long offset = _c.Image.Offset;
        Assert.Equal(ErrorCode.EligibleLeadersNotAvailable, (await ElectOneAsync(ElectionType.Unclean, "t", 0)).Error);
        Assert.Equal(offset, _c.Image.Offset);
        _ = id;
    }
}
