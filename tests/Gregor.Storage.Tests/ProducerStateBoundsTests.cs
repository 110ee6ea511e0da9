using System.Buffers.Binary;
using Gregor.Protocol;
using Gregor.Protocol.Records;
using Xunit.Abstractions;

namespace Gregor.Storage.Tests;

/// <summary>Producer state is bounded: producers expire after producer.id.expiration.ms and a broker-wide cap refuses new ones.</summary>
public sealed class ProducerStateBoundsTests(ITestOutputHelper output)
{
    private const long Day = 24L * 60 * 60 * 1000;

    [Fact]
    public void Producers_silent_past_the_expiration_are_dropped_and_may_start_again_at_any_sequence()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var config = new ProducerStateConfig(expirationMs: Day);
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), time, producerState: config);
        log.AppendAsLeader(ProducerBatches.Of(1, 0, 0, 1, time.NowMs));
        time.AdvanceMs(Day / 2);
        log.AppendAsLeader(ProducerBatches.Of(2, 0, 0, 1, time.NowMs));
        time.AdvanceMs(Day / 2 - 1);
        Assert.Equal(0, log.RemoveExpiredProducers());
        time.AdvanceMs(1);
        Assert.Equal(1, log.RemoveExpiredProducers());
        Assert.Equal((1, 1), (log.ProducerCount, config.Entries));
        Assert.Null(ProducerBatches.State(log, 1));
        // Expiry counts from the batch's own timestamp (Kafka's rule), not from when it arrived.
        log.AppendAsLeader(ProducerBatches.Of(3, 0, 0, 1, time.NowMs - Day));
        Assert.Equal(1, log.RemoveExpiredProducers());
        // An expired producer is unknown: its next batch is taken whatever its sequence.
        Assert.Equal(ErrorCode.None, log.AppendAsLeader(ProducerBatches.Of(1, 0, 40, 1, time.NowMs)).Error);
    }

    [Fact]
    public void Producers_already_expired_in_a_snapshot_are_not_loaded()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var config = new ProducerStateConfig(expirationMs: Day);
        using (var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), time, producerState: config))
        {
            log.AppendAsLeader(ProducerBatches.Of(1, 0, 0, 1, time.NowMs));
            log.AppendAsLeader(ProducerBatches.Of(2, 0, 0, 1, time.NowMs + Day / 2));
        }
        time.AdvanceMs(Day);
        using var reopened = PartitionLog.Open(dir.Path, LogTestConfig.Small(), time, producerState: config);
        Assert.Null(ProducerBatches.State(reopened, 1));
        Assert.NotNull(ProducerBatches.State(reopened, 2));
        Assert.Equal(1, config.Entries);
    }

    [Fact]
    public void Past_the_broker_wide_cap_new_producers_are_refused_while_known_ones_go_on()
    {
        using var dirA = new TempLogDirectory("a", 0);
        using var dirB = new TempLogDirectory("b", 0);
        var time = new ManualTimeProvider();
        var config = new ProducerStateConfig(expirationMs: Day, maxEntries: 3);
        var logA = PartitionLog.Open(dirA.Path, LogTestConfig.Small(), time, producerState: config);
        using var logB = PartitionLog.Open(dirB.Path, LogTestConfig.Small(), time, producerState: config);
        Assert.Equal(ErrorCode.None, logA.AppendAsLeader(ProducerBatches.Of(1, 0, 0, 1, time.NowMs)).Error);
        Assert.Equal(ErrorCode.None, logA.AppendAsLeader(ProducerBatches.Of(2, 0, 0, 1, time.NowMs)).Error);
        Assert.Equal(ErrorCode.None, logB.AppendAsLeader(ProducerBatches.Of(1, 0, 0, 1, time.NowMs)).Error);
        Assert.Equal(3, config.Entries);

        LeaderAppendResult refused = logB.AppendAsLeader(ProducerBatches.Of(9, 0, 0, 1, time.NowMs));
        Assert.Equal(ErrorCode.ThrottlingQuotaExceeded, refused.Error);
        Assert.Contains(ProducerStateConfig.MaxEntriesName, refused.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, logB.LogEndOffset);
        // Known producers, and batches without a producer id, go on.
        Assert.Equal(ErrorCode.None, logB.AppendAsLeader(ProducerBatches.Of(1, 0, 1, 1, time.NowMs)).Error);
        Assert.Equal(ErrorCode.None, logB.AppendAsLeader(TestBatches.Simple(1, time.NowMs)).Error);
        // A follower copies what its leader accepted, past the cap.
        byte[] replicated = ProducerBatches.Of(10, 0, 0, 1, time.NowMs);
        BinaryPrimitives.WriteInt64BigEndian(replicated, logB.LogEndOffset);
        logB.AppendReplicated(replicated);
        Assert.Equal(4, config.Entries);

        // Closing a log gives its entries back.
        logA.Close();
        Assert.Equal(2, config.Entries);
        Assert.Equal(ErrorCode.None, logB.AppendAsLeader(ProducerBatches.Of(9, 0, 0, 1, time.NowMs)).Error);
        Assert.Equal(ErrorCode.ThrottlingQuotaExceeded, logB.AppendAsLeader(ProducerBatches.Of(11, 0, 0, 1, time.NowMs)).Error);
        // Expiry makes room.
        time.AdvanceMs(Day);
        Assert.Equal(3, logB.RemoveExpiredProducers());
        Assert.Equal(0, config.Entries);
        Assert.Equal(ErrorCode.None, logB.AppendAsLeader(ProducerBatches.Of(11, 0, 0, 1, time.NowMs)).Error);
    }

    /// <summary>
    /// What one producer entry costs (dictionary slot, entry with its five batches inline), measured on 200,000 ids,
    /// the figure behind producer.state.max.entries' default.
    /// </summary>
    [Fact]
    public void An_entry_costs_about_two_hundred_bytes()
    {
        const int producers = 200_000;
        var manager = new ProducerStateManager(Path.Combine(Path.GetTempPath(), "gregor-producer-memory-" + Guid.NewGuid().ToString("N")),
            new ProducerStateConfig(maxEntries: int.MaxValue));
        byte[] header = ProducerBatches.Of(0, 0, 0, 1, 1_700_000_000_000);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int id = 0; id < producers; id++)
        {
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(RecordBatchHeader.ProducerIdOffset), id);
            BinaryPrimitives.WriteInt64BigEndian(header, id);
            for (int batch = 0; batch < ProducerStateEntry.RetainedBatches; batch++)
            {
                BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(RecordBatchHeader.BaseSequenceOffset), batch);
                manager.Record(header);
            }
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double perProducer = (after - before) / (double)producers;
        output.WriteLine($"{producers} producers: {(after - before) / 1e6:F1} MB, {perProducer:F0} bytes per producer");
        Assert.Equal(producers, manager.Count);
        Assert.InRange(perProducer, 100, 240);
        GC.KeepAlive(manager);
    }

    [Fact]
    public void Recording_a_batch_of_a_known_producer_allocates_nothing()
    {
        var manager = new ProducerStateManager(Path.GetTempPath(), new ProducerStateConfig());
        byte[] header = ProducerBatches.Of(5, 0, 0, 1, 1_700_000_000_000);
        manager.Record(header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int batch = 1; batch < 1000; batch++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(RecordBatchHeader.BaseSequenceOffset), batch);
            BinaryPrimitives.WriteInt16BigEndian(header.AsSpan(RecordBatchHeader.ProducerEpochOffset), (short)(batch / 100));
            manager.Record(header);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        manager.Clear();
    }
}
