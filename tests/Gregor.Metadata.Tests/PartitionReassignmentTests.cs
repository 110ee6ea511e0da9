using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>Partition reassignment on the controller (KIP-455): start, completion as the ISR grows, cancellation, refusals.</summary>
public sealed class PartitionReassignmentTests : IDisposable
{
    private readonly LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    private async Task<KafkaUuid> PlacedAsync(params int[] replicas)
    {
        foreach (int id in new[] { 2, 3, 4, 5 })
            await _c.AddBrokerAsync(id);
        return await _c.CreatePlacedAsync("t", replicas);
    }

    private static string S(IEnumerable<int> replicas) => string.Join(",", replicas);

    private async Task<Outcome> ReassignAsync(int[]? target, string topic = "t", int partition = 0) =>
        Assert.Single(await _c.Controller.AlterPartitionReassignmentsAsync([new PartitionReassignment(topic, partition, target)]));

    /// <summary>The leader's AlterPartition with the ISR it has now.</summary>
    private async Task<PartitionIsrOutcome> AlterIsrAsync(KafkaUuid topic, params int[] isr)
    {
        var p = _c.Partition("t", 0);
        var change = new IsrChange(0, p.LeaderEpoch, p.PartitionEpoch, [.. isr.Select(id => new IsrMember(id, _c.Epochs[id]))], LeaderRecoveryState.Recovered);
        var outcome = await _c.Controller.AlterPartitionAsync(new AlterPartitionRequest(p.Leader, _c.Epochs[p.Leader], 3, [new TopicIsrChanges(null, topic, [change])]));
        Assert.Equal(ErrorCode.None, outcome.Error);
        return Assert.Single(Assert.Single(outcome.Topics).Partitions);
    }

    [Fact]
    public async Task Starting_a_reassignment_merges_target_and_current_replicas_and_lists_what_is_added_and_removed()
    {
        var topic = await PlacedAsync(2, 3, 4);
        var before = _c.Partition("t", 0);

        Assert.Equal(ErrorCode.None, (await ReassignAsync([3, 4, 5])).Error);

        var p = _c.Partition("t", 0);
        Assert.Equal([3, 4, 5, 2], p.Replicas.ToArray());
        Assert.Equal([5], p.AddingReplicas.ToArray());
        Assert.Equal([2], p.RemovingReplicas.ToArray());
        Assert.Equal([2, 3, 4], p.Isr.ToArray());
        Assert.Equal((2, before.LeaderEpoch, before.PartitionEpoch + 1), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
        var listed = Assert.Single(_c.Controller.ListPartitionReassignments(null));
        Assert.Equal(("t", 0, "3,4,5,2", "5", "2"), (listed.Topic, listed.Partition, S(listed.Replicas), S(listed.Adding), S(listed.Removing)));
        Assert.Single(_c.Controller.ListPartitionReassignments([new TopicPartitionRef("t", 0), new TopicPartitionRef("x", 0)]));
        Assert.Empty(_c.Controller.ListPartitionReassignments([new TopicPartitionRef("t", 1)]));
        _ = topic;
    }

    [Fact]
    public async Task It_completes_when_the_added_replica_joins_the_isr_and_the_removed_leader_hands_over_leadership()
    {
        var topic = await PlacedAsync(2, 3, 4);
        await ReassignAsync([3, 4, 5]);
        var before = _c.Partition("t", 0);

        // The leader (2, being removed) sees 5 caught up and adds it to the ISR: the reassignment completes.
        var answer = await AlterIsrAsync(topic, 2, 3, 4, 5);

        Assert.Equal(ErrorCode.NewLeaderElected, answer.Error);
        var p = _c.Partition("t", 0);
        Assert.Equal([3, 4, 5], p.Replicas.ToArray());
        Assert.Equal([3, 4, 5], p.Isr.ToArray());
        Assert.Empty(p.AddingReplicas);
        Assert.Empty(p.RemovingReplicas);
        Assert.Equal(3, p.Leader);
        Assert.Equal(before.LeaderEpoch + 1, p.LeaderEpoch);
        Assert.Empty(_c.Controller.ListPartitionReassignments(null));
    }

    [Fact]
    public async Task A_leader_that_stays_a_replica_keeps_leading_when_the_reassignment_completes()
    {
        var topic = await PlacedAsync(2, 3, 4);
        await ReassignAsync([2, 5, 4]);
        var isrWithout5 = await AlterIsrAsync(topic, 2, 3, 4);
        Assert.Equal(ErrorCode.None, isrWithout5.Error);
        Assert.Equal([5], _c.Partition("t", 0).AddingReplicas.ToArray());

        var done = await AlterIsrAsync(topic, 2, 3, 4, 5);

        Assert.Equal(ErrorCode.None, done.Error);
        var p = _c.Partition("t", 0);
        Assert.Equal(("2,5,4", "2,4,5", 2), (S(p.Replicas), S(p.Isr), p.Leader));
        Assert.Equal((2, "2,4,5"), (done.Leader, S(done.Isr)));
    }

    [Fact]
    public async Task A_target_already_in_the_isr_completes_at_once()
    {
        await PlacedAsync(2, 3, 4);
        Assert.Equal(ErrorCode.None, (await ReassignAsync([4, 3])).Error);
        var p = _c.Partition("t", 0);
        Assert.Equal(("4,3", "3,4"), (S(p.Replicas), S(p.Isr)));
        Assert.Equal(4, p.Leader);    // 2 was removed; the first target replica in the ISR leads
        Assert.Empty(p.RemovingReplicas);
    }

    [Fact]
    public async Task It_waits_for_every_target_replica_in_the_isr_not_only_the_added_ones()
    {
        var topic = await PlacedAsync(2, 3, 4);
        await AlterIsrAsync(topic, 2, 4); // 3, kept by the target, has fallen behind

        await ReassignAsync([3, 4, 5]);
        await AlterIsrAsync(topic, 2, 4, 5);
        Assert.Equal(("3,4,5,2", "5", "2"), (S(_c.Partition("t", 0).Replicas), S(_c.Partition("t", 0).AddingReplicas), S(_c.Partition("t", 0).RemovingReplicas)));

        await AlterIsrAsync(topic, 2, 3, 4, 5);
        var p = _c.Partition("t", 0);
        Assert.Equal(("3,4,5", "3,4,5"), (S(p.Replicas), S(p.Isr)));
        Assert.Empty(p.RemovingReplicas);
    }

    /// <summary>
    /// Replicas 2 and 3, min.insync.replicas 2; the ISR shrinks to the leader 2, so 3 becomes an eligible leader replica,
    /// and the partition is reassigned to 3 alone: 3 must be in the ISR first, and only an election can put it there.
    /// </summary>
    private async Task<KafkaUuid> MovingToAnEligibleLeaderAsync()
    {
        var topic = await PlacedAsync(2, 3);
        var config = await _c.Controller.IncrementalAlterConfigsAsync(
            [new ConfigResourceChanges(ConfigResourceType.Topic, "t", [new ConfigChange("min.insync.replicas", ConfigOperationKind.Set, "2")])], validateOnly: false);
        Assert.True(config.Single().IsOk, config.Single().Message);
        await AlterIsrAsync(topic, 2);
        Assert.Equal([3], _c.Partition("t", 0).Elr.ToArray());
        await ReassignAsync([3]);
        var p = _c.Partition("t", 0);
        Assert.Equal(("3,2", "2", "2"), (S(p.Replicas), S(p.RemovingReplicas), S(p.Isr)));
        return topic;
    }

    [Fact]
    public async Task Fencing_the_removed_leader_completes_the_reassignment_when_the_election_puts_the_target_in_the_isr()
    {
        await MovingToAnEligibleLeaderAsync();

        // The leader, being removed, is fenced (its session ran out on the manual clock): the eligible leader 3 takes
        // over with the ISR [3], which is the whole target, so the same change completes the reassignment.
        await _c.PassAsync(TimeSpan.FromSeconds(20), 3);
        Assert.Contains(2, await _c.Controller.CheckSessionsAsync());

        var p = _c.Partition("t", 0);
        Assert.Equal(("3", "3", 3), (S(p.Replicas), S(p.Isr), p.Leader));
        Assert.Empty(p.RemovingReplicas);
        Assert.DoesNotContain(2, p.Elr);
        Assert.Empty(_c.Controller.ListPartitionReassignments(null));
    }

    [Fact]
    public async Task Unfencing_the_target_completes_the_reassignment_when_it_is_elected_from_the_eligible_leaders()
    {
        await MovingToAnEligibleLeaderAsync();
        await _c.HeartbeatAsync(3, wantFence: true);
        await _c.HeartbeatAsync(2, wantFence: true); // nobody active may lead: the partition is leaderless
        Assert.Equal(-1, _c.Partition("t", 0).Leader);
        Assert.Single(_c.Controller.ListPartitionReassignments(null));

        Assert.False((await _c.HeartbeatAsync(3)).IsFenced);

        var p = _c.Partition("t", 0);
        Assert.Equal(("3", "3", 3), (S(p.Replicas), S(p.Isr), p.Leader));
        Assert.Empty(p.RemovingReplicas);
        Assert.Empty(_c.Controller.ListPartitionReassignments(null));
    }

    [Fact]
    public async Task Cancelling_goes_back_to_the_original_replicas_and_the_added_ones_leave_the_isr()
    {
        var topic = await PlacedAsync(2, 3, 4);
        await ReassignAsync([5, 3, 4]);
        Assert.Equal(5, _c.Partition("t", 0).Replicas[0]);

        Assert.Equal(ErrorCode.None, (await ReassignAsync(null)).Error);

        var p = _c.Partition("t", 0);
        Assert.Equal([3, 4, 2], p.Replicas.ToArray());
        Assert.Equal([2, 3, 4], p.Isr.ToArray());
        Assert.Empty(p.AddingReplicas);
        Assert.Empty(p.RemovingReplicas);
        Assert.Equal(2, p.Leader);
        Assert.Equal(ErrorCode.NoReassignmentInProgress, (await ReassignAsync(null)).Error);
        _ = topic;
    }

    [Fact]
    public async Task A_new_target_replaces_the_one_under_way_from_the_original_replicas()
    {
        await PlacedAsync(2, 3, 4);
        await ReassignAsync([3, 4, 5]);
        await ReassignAsync([2, 3, 4, 1]);

        var p = _c.Partition("t", 0);
        Assert.Equal([2, 3, 4, 1], p.Replicas.ToArray());
        Assert.Equal([1], p.AddingReplicas.ToArray());
        Assert.Empty(p.RemovingReplicas);
    }

    [Fact]
    public async Task Bad_targets_and_unknown_partitions_are_refused_and_change_nothing()
    {
        await PlacedAsync(2, 3, 4);
        long offset = _c.Image.Offset;
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, (await ReassignAsync([])).Error);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, (await ReassignAsync([2, 2, 3])).Error);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, (await ReassignAsync([2, 3, 99])).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (await ReassignAsync([2, 3], partition: 1)).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (await ReassignAsync([2, 3], topic: "nope")).Error);
        Assert.Equal(ErrorCode.NoReassignmentInProgress, (await ReassignAsync(null)).Error);
        Assert.Equal(offset, _c.Image.Offset);
    }

    [Fact]
    public async Task The_same_replicas_again_change_nothing()
    {
        await PlacedAsync(2, 3, 4);
        long offset = _c.Image.Offset;
        Assert.Equal(ErrorCode.None, (await ReassignAsync([2, 3, 4])).Error);
        Assert.Equal(offset, _c.Image.Offset);
    }
}
