using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>Fetch v12+: a fetcher naming its last fetched epoch learns where its log diverged (KIP-320/595).</summary>
public sealed class FetchDivergenceTests
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Offsets 0-1 written at epoch 3, 2-4 at epoch 5; epoch 6 begun at 5 with nothing written.</summary>
    private static async Task<DataPlaneFixture> ThreeEpochsAsync()
    {
        var broker = new DataPlaneFixture();
        TopicImage topic = broker.Metadata.CreateTopic("t");
        await broker.ProduceAsync("t", 0, Batches.Create(2, Now));
        broker.Metadata.PublishTopic(topic with { Partitions = [.. topic.Partitions.Select(p => p with { LeaderEpoch = 5 })] });
        await broker.ProduceAsync("t", 0, Batches.Create(3, Now));
        broker.Metadata.PublishTopic(topic with { Partitions = [.. topic.Partitions.Select(p => p with { LeaderEpoch = 6 })] });
        var log = broker.Replicas.GetPartition("t", 0)!.Log;
        log.AssignEpochStartOffset(6, log.LogEndOffset);
        Assert.Equal(5, log.HighWatermark);
        return broker;
    }

    private static async Task<FetchResponse.PartitionData> FetchAsync(DataPlaneFixture broker, long offset, int lastFetchedEpoch, short version = 12)
    {
        FetchRequest request = DataPlaneFixture.FetchRequestFor(("t", 0, offset, 1024 * 1024));
        request.Topics[0].TopicId = broker.Metadata.Current.Topic("t")!.Id;
        request.Topics[0].Partitions[0].LastFetchedEpoch = lastFetchedEpoch;
        request.MaxWaitMs = 5_000;
        request.MinBytes = 1;
        FetchResponse response = await broker.FetchAsync(request, version);
        return Assert.Single(Assert.Single(response.Responses).Partitions);
    }

    [Theory]
    [InlineData(3, 4, 3, 2L)]  // epoch 3 ended at 2: offsets 2-3 of the fetcher's epoch 3 are not the leader's
    [InlineData(4, 2, 3, 2L)]  // epoch 4 is unknown here: the largest below it is 3, which ends at 2
    [InlineData(5, 6, 5, 5L)]  // past the end of epoch 5
    public async Task A_diverged_fetcher_gets_the_diverging_epoch_and_no_records_at_once(int lastFetchedEpoch, long offset, int epoch, long endOffset)
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        foreach (short version in (short[])[12, 16, 17])
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            FetchResponse.PartitionData data = await FetchAsync(broker, offset, lastFetchedEpoch, version);

            Assert.Equal(0, data.ErrorCode);
            Assert.NotNull(data.DivergingEpoch);
            Assert.Equal((epoch, endOffset), (data.DivergingEpoch.Epoch, data.DivergingEpoch.EndOffset));
            Assert.Equal(0, data.Records?.Length ?? 0);
            Assert.Equal((5L, 0L), (data.HighWatermark, data.LogStartOffset));
            // min_bytes 1 with max_wait 5 s would have waited: a divergence is answered without waiting.
            Assert.True(started.ElapsedMilliseconds < 4_000, $"took {started.ElapsedMilliseconds} ms");
        }
    }

    [Theory]
    [InlineData(3, 2, 3)]   // epoch 3 ends exactly at the fetch offset
    [InlineData(3, 0, 5)]
    [InlineData(5, 4, 1)]
    [InlineData(-1, 4, 1)]  // no last fetched epoch: nothing to check
    public async Task A_fetcher_in_line_with_the_log_reads_records(int lastFetchedEpoch, long offset, int expectedRecords)
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        FetchResponse.PartitionData data = await FetchAsync(broker, offset, lastFetchedEpoch);

        Assert.Equal(0, data.ErrorCode);
        Assert.Null(data.DivergingEpoch);
        Assert.Equal(expectedRecords, Batches.Read(data.Records!.Value).Count(r => r.Offset >= offset));
    }

    [Fact]
    public async Task An_epoch_whose_end_cannot_be_found_or_an_offset_below_the_log_start_is_out_of_range()
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await FetchAsync(broker, 4, 7)).ErrorCode);
        broker.Replicas.GetPartition("t", 0)!.Log.IncreaseLogStartOffset(3);
        FetchResponse.PartitionData below = await FetchAsync(broker, 1, 3);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, below.ErrorCode);
        Assert.Null(below.DivergingEpoch);
    }

    [Fact]
    public async Task Before_version_12_no_epoch_is_sent_and_nothing_is_checked()
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        FetchResponse.PartitionData data = await FetchAsync(broker, 4, 3, version: 11);
        Assert.Equal(0, data.ErrorCode);
        Assert.Null(data.DivergingEpoch);
        Assert.Equal(1, Batches.Read(data.Records!.Value).Count(r => r.Offset >= 4));
    }
}
