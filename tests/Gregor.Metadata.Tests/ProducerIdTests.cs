using Gregor.Metadata.Controller;
using Gregor.Metadata.Records;
using Gregor.Protocol;

namespace Gregor.Metadata.Tests;

/// <summary>
/// AllocateProducerIds on the controller: blocks committed to the log before they are answered, never handed out twice,
/// not even by a controller that took over or restarted from the log or a snapshot.
/// </summary>
public sealed class ProducerIdTests : IDisposable
{
    private readonly LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    private ControllerFixture F => _c.F;

    private Task<ProducerIdsOutcome> AllocateAsync(int brokerId, QuorumController? controller = null) =>
        (controller ?? F.Controller).AllocateProducerIdsAsync(brokerId, F.Image.Brokers[brokerId].Epoch);

    private static long AssertBlock(ProducerIdsOutcome outcome)
    {
        Assert.Equal((ErrorCode.None, (string?)null, QuorumController.ProducerIdBlockSize), (outcome.Error, outcome.Message, outcome.Length));
        return outcome.FirstProducerId;
    }

    [Fact]
    public async Task Blocks_follow_one_another_and_are_committed_before_they_are_answered()
    {
        await _c.AddBrokerAsync(2);
        Assert.Equal(0, F.Image.NextProducerId);
        long before = F.Image.Offset;

        long first = AssertBlock(await AllocateAsync(2));
        Assert.Equal(0, first);
        Assert.Equal(1000, F.Image.NextProducerId);
        Assert.Equal(before + 1, F.Image.Offset);
        Assert.Equal(1000, AssertBlock(await AllocateAsync(1))); // the in-process broker of the controller's node
        Assert.Equal(2000, AssertBlock(await AllocateAsync(2)));
        Assert.Equal(3000, F.Image.NextProducerId);
    }

    [Fact]
    public async Task A_broker_not_registered_or_with_another_epoch_is_told_its_epoch_is_stale_and_nothing_is_written()
    {
        long epoch = await _c.RegisterAsync(2);
        long before = F.Image.Offset;

        var unknown = await F.Controller.AllocateProducerIdsAsync(9, epoch);
        Assert.Equal(ErrorCode.StaleBrokerEpoch, unknown.Error);
        Assert.Contains("9", unknown.Message);
        var stale = await F.Controller.AllocateProducerIdsAsync(2, epoch - 1);
        Assert.Equal((ErrorCode.StaleBrokerEpoch, -1L, 0), (stale.Error, stale.FirstProducerId, stale.Length));
        Assert.Equal((before, 0L), (F.Image.Offset, F.Image.NextProducerId));

        // A fenced broker with its current epoch is served: Kafka checks only the epoch.
        Assert.True(F.Image.Brokers[2].Fenced);
        Assert.Equal(0, AssertBlock(await F.Controller.AllocateProducerIdsAsync(2, epoch)));
    }

    [Fact]
    public async Task A_restarted_controller_goes_on_from_the_log_and_from_a_snapshot()
    {
        await AllocateAsync(1);
        await AllocateAsync(1);
        F.Reopen();
        Assert.Equal(2000, F.Image.NextProducerId);
        Assert.Equal(2000, AssertBlock(await AllocateAsync(1)));

        Assert.NotNull(F.Log.CreateSnapshot());
        F.Reopen();
        Assert.NotNull(F.Log.ReplayedSnapshot);
        Assert.Equal(3000, F.Image.NextProducerId);
        Assert.Equal(3000, AssertBlock(await AllocateAsync(1)));
    }

    [Fact]
    public async Task A_controller_that_takes_over_goes_on_from_the_folded_image()
    {
        await _c.AddBrokerAsync(2);
        Assert.Equal(0, AssertBlock(await AllocateAsync(2)));
        F.Controller.Deactivate();

        // Another controller becomes active over the same log, as after a failover: all it knows is the image.
        using var successor = new QuorumController(F.Publisher, new ControllerSettings(F.NodeId), _c.Clock, new Random(3));
        successor.Activate(F.Log, F.Image);
        Assert.Equal(1000, AssertBlock(await AllocateAsync(2, successor)));
        Assert.Equal(2000, F.Image.NextProducerId);
    }

    [Fact]
    public async Task Ids_that_would_run_past_the_largest_are_refused()
    {
        // The last block Kafka's check lets out starts at long.MaxValue - 1000.
        await F.Controller.CommitRecordsAsync([new ProducerIdsRecord { BrokerId = 1, BrokerEpoch = 0, NextProducerId = long.MaxValue - 1000 }]);
        Assert.Equal(long.MaxValue - 1000, AssertBlock(await AllocateAsync(1)));
        Assert.Equal(long.MaxValue, F.Image.NextProducerId);
        long before = F.Image.Offset;

        var exhausted = await AllocateAsync(1);
        Assert.Equal(ErrorCode.UnknownServerError, exhausted.Error);
        Assert.Equal(before, F.Image.Offset);
    }

    [Fact]
    public void The_fold_refuses_producer_ids_that_go_back()
    {
        var image = MetadataImage.Empty("c", 1).Apply(new ProducerIdsRecord { BrokerId = 1, NextProducerId = 2000 }, 0);
        Assert.Equal(2000, image.NextProducerId);
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new ProducerIdsRecord { BrokerId = 1, NextProducerId = 2000 }, 1));
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new ProducerIdsRecord { BrokerId = 1, NextProducerId = 1000 }, 1));
    }

    [Fact]
    public void A_snapshot_keeps_the_next_producer_id_and_writes_none_before_the_first_block()
    {
        var image = MetadataImage.Empty("c", 1).Apply(new ProducerIdsRecord { BrokerId = 2, BrokerEpoch = 7, NextProducerId = 5000 }, 10);
        var read = MetadataSnapshot.Read(MetadataSnapshot.Write(image, 3, 0), MetadataImage.Empty("c", 1), endOffset: 11, "test").Image;
        Assert.Equal(5000, read.NextProducerId);

        Assert.DoesNotContain(ImageRecords.Of(MetadataImage.Empty("c", 1)), r => r is ProducerIdsRecord);
        Assert.Equal(0, MetadataSnapshot.Read(MetadataSnapshot.Write(MetadataImage.Empty("c", 1) with { Offset = 10 }, 3, 0),
            MetadataImage.Empty("c", 1), endOffset: 11, "test").Image.NextProducerId);
    }
}
