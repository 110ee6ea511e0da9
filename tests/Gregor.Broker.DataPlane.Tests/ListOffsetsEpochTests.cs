using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>KIP-320 in ListOffsets: the leader epoch of each answer, and a new leader whose high watermark lags.</summary>
public sealed class ListOffsetsEpochTests
{
    private static ListOffsetsResponse.ListOffsetsPartitionResponse Single(ListOffsetsResponse response) =>
        Assert.Single(Assert.Single(response.Topics).Partitions);

    private static TopicImage WithLeaderEpoch(TopicImage topic, int epoch) =>
        topic with { Partitions = [.. topic.Partitions.Select(p => p with { LeaderEpoch = epoch })] };

    private static ListOffsetsRequest Request(long timestamp, int replicaId) => new()
    {
        ReplicaId = replicaId,
        Topics =
        [
            new ListOffsetsRequest.ListOffsetsTopic
            {
                Name = "t",
                Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = timestamp, CurrentLeaderEpoch = -1, MaxNumOffsets = 10 }],
            },
        ],
    };

    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(10)]
    public async Task Latest_answers_the_current_leader_epoch_earliest_and_found_records_the_epoch_that_wrote_them(short version)
    {
        await using var broker = new DataPlaneFixture();
        TopicImage topic = broker.Metadata.CreateTopic("t");
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 10_000;
        await broker.ProduceAsync("t", 0, Batches.Create(2, t0));
        broker.Metadata.PublishTopic(WithLeaderEpoch(topic, 5));
        await broker.ProduceAsync("t", 0, Batches.Create(2, t0 + 1_000));
        // A leader epoch with nothing written yet.
        broker.Metadata.PublishTopic(WithLeaderEpoch(topic, 8));

        var latest = Single(await broker.ListOffsetsAsync("t", 0, -1, version));
        var earliest = Single(await broker.ListOffsetsAsync("t", 0, -2, version));
        var second = Single(await broker.ListOffsetsAsync("t", 0, t0 + 500, version));
        var first = Single(await broker.ListOffsetsAsync("t", 0, t0, version));

        Assert.Equal((4L, 8), (latest.Offset, latest.LeaderEpoch));
        Assert.Equal((0L, 3), (earliest.Offset, earliest.LeaderEpoch));
        Assert.Equal((2L, 5), (second.Offset, second.LeaderEpoch));
        Assert.Equal((0L, 3), (first.Offset, first.LeaderEpoch));

        // Earliest after DeleteRecords into epoch 5: the epoch covering the new log start.
        broker.Replicas.GetPartition("t", 0)!.Log.IncreaseLogStartOffset(3);
        Assert.Equal((3L, 5), (Single(await broker.ListOffsetsAsync("t", 0, -2, version)).Offset, Single(await broker.ListOffsetsAsync("t", 0, -2, version)).LeaderEpoch));
    }

    [Theory]
    [InlineData(1, ErrorCode.LeaderNotAvailable)]
    [InlineData(4, ErrorCode.LeaderNotAvailable)]
    [InlineData(5, ErrorCode.OffsetNotAvailable)]
    [InlineData(10, ErrorCode.OffsetNotAvailable)]
    public async Task A_new_leader_whose_high_watermark_is_behind_its_epoch_start_does_not_answer_consumers_latest(short version, ErrorCode expected)
    {
        await using var broker = new DataPlaneFixture();
        // A second in-sync replica that never fetches: the high watermark stays at 0.
        TopicImage topic = broker.Metadata.CreateTopic("t", isr: [TestMetadataView.NodeId, 2]);
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 10_000;
        await broker.ProduceAsync("t", 0, Batches.Create(3, t0));
        broker.Metadata.PublishTopic(WithLeaderEpoch(topic, 5));
        var log = broker.Replicas.GetPartition("t", 0)!.Log;
        log.AssignEpochStartOffset(5, log.LogEndOffset);
        Assert.Equal(0, log.HighWatermark);

        var consumerLatest = Single(await broker.ListOffsetsAsync(Request(-1, -1), version));
        var consumerSearch = Single(await broker.ListOffsetsAsync(Request(t0, -1), version));
        var consumerEarliest = Single(await broker.ListOffsetsAsync(Request(-2, -1), version));
        var debugLatest = Single(await broker.ListOffsetsAsync(Request(-1, -2), version));

        Assert.Equal((short)expected, consumerLatest.ErrorCode);
        Assert.Equal((short)expected, consumerSearch.ErrorCode);
        Assert.Equal((0, 0L), (consumerEarliest.ErrorCode, consumerEarliest.Offset));
        Assert.Equal((0, 3L), (debugLatest.ErrorCode, debugLatest.Offset));

        // Once the high watermark reaches the epoch's start, consumers get answers again.
        log.UpdateHighWatermark(3);
        var caughtUp = Single(await broker.ListOffsetsAsync(Request(-1, -1), version));
        Assert.Equal((0, 3L), (caughtUp.ErrorCode, caughtUp.Offset));
        Assert.Equal(version >= 4 ? 5 : -1, caughtUp.LeaderEpoch);
    }
}
