namespace Gregor.Storage.Tests;

public sealed class AllocationTests
{
    [Fact]
    public void Appends_and_reads_allocate_nothing_per_record()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 64 * 1024 * 1024, indexInterval: 4096), time);
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

        Assert.True(perSmallAppend <= 64, $"{perSmallAppend} bytes per append");
        Assert.True(perLargeAppend <= perSmallAppend + 16, $"{perLargeAppend} bytes per 500-record append vs {perSmallAppend}");
        // A read allocates its result object; the bytes come from the pool.
        Assert.True(perSmallRead <= 256, $"{perSmallRead} bytes per read");
        Assert.True(perLargeRead <= perSmallRead + 16, $"{perLargeRead} bytes per large read vs {perSmallRead}");
    }

    private static long Measure(Action action)
    {
        const int rounds = 500;
        // The first rent of each buffer size allocates the pooled array; measure the steady state.
        for (int i = 0; i < 20; i++)
            action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < rounds; i++)
            action();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / rounds;
    }
}
