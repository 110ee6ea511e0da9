namespace Gregor.Cli.Perf;

/// <summary>
/// What the whole process had spent at one moment: managed bytes allocated, garbage collections per generation,
/// CPU time. Two of them around a run give its cost, every thread included (the client's sender and callbacks too).
/// </summary>
internal readonly record struct ProcessSnapshot(long AllocatedBytes, int Gen0Collections, int Gen1Collections, int Gen2Collections, TimeSpan CpuTime)
{
    public static ProcessSnapshot Take() => new(
        GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        Environment.CpuUsage.TotalTime);

    /// <summary>The cost from <paramref name="start"/> to this snapshot, with allocation spread over <paramref name="records"/>.</summary>
    public ProcessCost Since(ProcessSnapshot start, long records)
    {
        long allocated = AllocatedBytes - start.AllocatedBytes;
        return new ProcessCost(allocated, records > 0 ? (double)allocated / records : 0,
            Gen0Collections - start.Gen0Collections, Gen1Collections - start.Gen1Collections, Gen2Collections - start.Gen2Collections,
            (CpuTime - start.CpuTime).TotalSeconds);
    }
}

/// <summary>
/// A run's cost to its process. A collection of a generation also collects the younger ones and is counted in
/// each (as <see cref="GC.CollectionCount"/> does), so gen0 includes the gen1 and gen2 collections.
/// </summary>
internal sealed record ProcessCost(long AllocatedBytes, double AllocatedBytesPerRecord, int Gen0Collections, int Gen1Collections,
    int Gen2Collections, double CpuSeconds);
