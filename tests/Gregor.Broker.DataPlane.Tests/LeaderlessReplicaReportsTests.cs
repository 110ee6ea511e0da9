using Gregor.Broker.ControlPlane;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>
/// What a broker's heartbeat reports for the controller's unclean recovery: for each hosted replica of a partition its
/// image shows without a leader, ISR or eligible leaders, the epoch of its last batch and its log end, with the
/// partition epoch it saw; nothing for partitions that have any of them.
/// </summary>
public sealed class LeaderlessReplicaReportsTests
{
    [Fact]
    public async Task Only_replicas_of_partitions_with_no_leader_isr_or_eligible_leaders_are_reported()
    {
        await using var broker = new DataPlaneFixture();
        var topic = broker.Metadata.CreateTopic("t", partitions: 3);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(0, (await broker.ProduceAsync("t", 0, Batches.Create(3, now)))!.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(0, (await broker.ProduceAsync("t", 1, Batches.Create(2, now)))!.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Empty(LeaderlessReplicaReports.For(broker.Metadata.Current, broker.Replicas));

        // Partition 0 loses its leader and ISR; partition 1 too but keeps an eligible leader; partition 2 keeps its leader.
        broker.Metadata.PublishTopic(topic with
        {
            Partitions =
            [
                topic.Partitions[0] with { Leader = -1, LeaderEpoch = 4, PartitionEpoch = 7, Isr = [] },
                topic.Partitions[1] with { Leader = -1, LeaderEpoch = 4, PartitionEpoch = 7, Isr = [], Elr = [TestMetadataView.NodeId] },
                topic.Partitions[2],
            ],
        });

        var report = Assert.Single(LeaderlessReplicaReports.For(broker.Metadata.Current, broker.Replicas));
        Assert.Equal((topic.Id, 0, 7), (report.TopicId, report.PartitionIndex, report.PartitionEpoch));
        Assert.Equal((topic.Partitions[0].LeaderEpoch, 3L), (report.LastEpoch, report.LogEndOffset));
    }
}
