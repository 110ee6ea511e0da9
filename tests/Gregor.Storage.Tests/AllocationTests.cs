namespace Gregor.Storage.Tests;

public sealed class AllocationTests
{
    [Fact]
    public void Appends_reads_and_retention_checks_allocate_nothing_in_steady_state()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        // Big enough segments and indexes that nothing rolls while measuring: a roll creates files and objects.
        LogConfig config = LogTestConfig.Small(segmentBytes: 256 << 20, indexInterval: 4096) with { SegmentIndexBytes = 1 << 20, RetentionBytes = 1L << 30 };
        using var log = PartitionLog.Open(dir.Path, config, time);
        byte[] small = TestBatches.Simple(1, 1, valueBytes: 100);
        byte[] large = TestBatches.Simple(500, 1, valueBytes: 100);
        // Warm up locks, pools and the JIT.
        for (int i = 0; i < 200; i++)
        {
            log.Append(small);
            log.Append(large);
            using LogReadResult warm = log.Read(log.LogEndOffset - 1, 1 << 20);
        }

        long perSmallAppend = Measure(() => log.Append(small));
        long perLargeAppend = Measure(() => log.Append(large));
        long end = log.LogEndOffset;
        long perSmallRead = Measure(() => { using LogReadResult read = log.Read(end - 1, 1 << 20); });
        long perLargeRead = Measure(() => { using LogReadResult read = log.Read(end - 600, 1 << 20); });
        long perLongRead = Measure(() => { using LogReadResult read = log.Read(0, 4 << 20); });
        long perRetentionCheck = Measure(() => log.ApplyRetention());

        Assert.Equal(0, perSmallAppend);
        Assert.Equal(0, perLargeAppend);
        Assert.Equal(0, perSmallRead);
        Assert.Equal(0, perLargeRead);
        Assert.Equal(0, perLongRead);
        Assert.Equal(0, perRetentionCheck);
        Assert.Single(log.Segments);
    }

    [Fact]
    public void Offset_lookups_allocate_nothing()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20, indexInterval: 512), new ManualTimeProvider());
        for (int i = 0; i < 300; i++)
            log.Append(TestBatches.Simple(3, 1000 + i, valueBytes: 50));
        log.UpdateHighWatermark(log.LogEndOffset);

        Assert.Equal(0, Measure(() => log.EpochOfBatchAt(400)));
        Assert.Equal(0, Measure(() => log.ListOffset(PartitionLog.LatestTimestamp)));
    }

    /// <summary>Bytes allocated per call, averaged over many calls after a warm-up (the first rent of each pooled size allocates).</summary>
    private static long Measure(Action action)
    {
        const int rounds = 500;
        for (int i = 0; i < 20; i++)
            action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < rounds; i++)
            action();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / rounds;
    }
}
