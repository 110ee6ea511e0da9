using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.DataPlane.Tests;

public sealed class ListOffsetsTests
{
    private static ListOffsetsResponse.ListOffsetsPartitionResponse Single(ListOffsetsResponse response) =>
        Assert.Single(Assert.Single(response.Topics).Partitions);

    /// <summary>Three batches: offsets 0-1 at t0.., 2-3 at t0+1000.., 4 at t0+500 (the largest timestamp is at offset 3).</summary>
    private static async Task<(DataPlaneFixture Broker, long T0)> WithRecordsAsync()
    {
        var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 10_000;
        await broker.ProduceAsync("t", 0, Batches.Create(2, t0));
        await broker.ProduceAsync("t", 0, Batches.Create(2, t0 + 1000));
        await broker.ProduceAsync("t", 0, Batches.Create(1, t0 + 500));
        return (broker, t0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(10)]
    public async Task Earliest_latest_and_by_timestamp(short version)
    {
        var (broker, t0) = await WithRecordsAsync();
        await using var _ = broker;

        var earliest = Single(await broker.ListOffsetsAsync("t", 0, -2, version));
        var latest = Single(await broker.ListOffsetsAsync("t", 0, -1, version));
        var atSecondBatch = Single(await broker.ListOffsetsAsync("t", 0, t0 + 600, version));
        var afterAll = Single(await broker.ListOffsetsAsync("t", 0, t0 + 5000, version));

        Assert.Equal((0, 0L), (earliest.ErrorCode, earliest.Offset));
        Assert.Equal(5, latest.Offset);
        Assert.Equal(2, atSecondBatch.Offset);
        Assert.Equal(t0 + 1000, atSecondBatch.Timestamp);
        Assert.Equal(-1, afterAll.Offset);
        if (version >= 4)
        {
            Assert.Equal(3, latest.LeaderEpoch);
            Assert.Equal(3, atSecondBatch.LeaderEpoch);
        }
    }

    [Fact]
    public async Task Max_timestamp_finds_the_record_with_the_largest_timestamp()
    {
        var (broker, t0) = await WithRecordsAsync();
        await using var _ = broker;

        var max = Single(await broker.ListOffsetsAsync("t", 0, -3, 7));

        Assert.Equal(3, max.Offset);
        Assert.Equal(t0 + 1001, max.Timestamp);
    }

    [Fact]
    public async Task Version_0_answers_with_the_old_offsets_list()
    {
        var (broker, _) = await WithRecordsAsync();
        await using var __ = broker;

        var latest = Single(await broker.ListOffsetsAsync("t", 0, -1, 0));
        var earliest = Single(await broker.ListOffsetsAsync("t", 0, -2, 0));

        Assert.Equal([5L, 0], latest.OldStyleOffsets);
        Assert.Equal([0L], earliest.OldStyleOffsets);
    }

    [Fact]
    public async Task Unknown_partitions_and_fenced_epochs_are_errors()
    {
        var (broker, _) = await WithRecordsAsync();
        await using var __ = broker;

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.ListOffsetsAsync("nope", 0, -1)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.ListOffsetsAsync("t", 3, -1)).ErrorCode);
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, Single(await broker.ListOffsetsAsync("t", 0, -1, 4, currentLeaderEpoch: 1)).ErrorCode);
        Assert.Equal(0, Single(await broker.ListOffsetsAsync("t", 0, -1, 4, currentLeaderEpoch: 3)).ErrorCode);
    }

    [Fact]
    public async Task A_partition_asked_twice_is_an_invalid_request()
    {
        var (broker, _) = await WithRecordsAsync();
        await using var __ = broker;
        var partition = new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -1 };
        var request = new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new ListOffsetsRequest.ListOffsetsTopic { Name = "t", Partitions = [partition, partition] }],
        };

        var partitions = Assert.Single((await broker.ListOffsetsAsync(request, 5)).Topics).Partitions;

        Assert.Equal(0, partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, partitions[1].ErrorCode);
    }
}
