using Gregor.Cli.Perf;

namespace Gregor.Cli.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Small_values_are_exact()
    {
        var h = new LatencyHistogram();
        for (int v = 1; v <= 1000; v++) h.Record(v);
        Assert.Equal(500, h.ValueAtPercentile(50));
        Assert.Equal(950, h.ValueAtPercentile(95));
        Assert.Equal(990, h.ValueAtPercentile(99));
        Assert.Equal(999, h.ValueAtPercentile(99.9));
        Assert.Equal(1000, h.ValueAtPercentile(100));
        Assert.Equal(1, h.Min);
        Assert.Equal(1000, h.Max);
        Assert.Equal(500.5, h.Mean, 6);
    }

    [Fact]
    public void Large_values_are_within_a_tenth_of_a_percent_of_exact_percentiles()
    {
        var random = new Random(1234);
        var h = new LatencyHistogram();
        var values = new long[100_000];
        for (int i = 0; i < values.Length; i++)
        {
            // Log-uniform from 1 us to ~1000 s: every bucket range gets exercised.
            values[i] = (long)Math.Exp(random.NextDouble() * Math.Log(1e9));
            h.Record(values[i]);
        }
        Array.Sort(values);
        foreach (double p in new[] { 50, 90, 95, 99, 99.9, 99.99 })
        {
            long exact = values[(int)Math.Ceiling(p / 100 * values.Length) - 1];
            long reported = h.ValueAtPercentile(p);
            Assert.InRange(reported, exact, (long)(exact * 1.001) + 1);
        }
        Assert.Equal(values[^1], h.Max);
        Assert.Equal(values[0], h.Min);
    }

    [Fact]
    public void Bucket_edges_around_powers_of_two_report_the_bucket_top()
    {
        var h = new LatencyHistogram();
        h.Record(2047); // last exact value
        Assert.Equal(2047, h.ValueAtPercentile(100));
        h.Reset();
        h.Record(2048);
        h.Record(2049); // same 2-wide bucket as 2048
        Assert.Equal(2049, h.ValueAtPercentile(50));
        h.Reset();
        h.Record(1_000_003);
        h.Record(5);
        Assert.Equal(5, h.ValueAtPercentile(50));
        long top = h.ValueAtPercentile(75);
        Assert.Equal(1_000_003, top); // capped at the exact max
    }

    [Fact]
    public void Values_over_the_limit_are_clamped_and_counted()
    {
        var h = new LatencyHistogram(highestTrackableValue: 10_000);
        h.Record(50_000);
        h.Record(-3);
        Assert.Equal(1, h.ClampedCount);
        Assert.Equal(10_000, h.Max);
        Assert.Equal(0, h.Min);
        Assert.Equal(2, h.TotalCount);
    }

    [Fact]
    public void Empty_histogram_reports_zeroes_and_bad_percentiles_are_rejected()
    {
        var h = new LatencyHistogram();
        Assert.Equal(new LatencySummary(0, 0, 0, 0, 0, 0, 0), h.Summarize());
        Assert.Throws<ArgumentOutOfRangeException>(() => h.ValueAtPercentile(101));
        Assert.Throws<ArgumentOutOfRangeException>(() => h.ValueAtPercentile(double.NaN));
    }

    [Fact]
    public void Memory_is_fixed_and_recording_does_not_allocate()
    {
        var h = new LatencyHistogram();
        Assert.InRange(h.FootprintBytes, 1, 256 * 1024);
        // The JIT may allocate on this thread while it recompiles the loop (tiering, on-stack replacement), so
        // the same pass runs three times: recording itself allocates nothing if any pass allocated nothing.
        var allocated = new List<long>();
        for (int attempt = 0; attempt < 3; attempt++) allocated.Add(RecordMany(h));
        Assert.Contains(0L, allocated);
        Assert.Equal(3 * (1_000_000 / 7 + 1), h.TotalCount);
    }

    private static long RecordMany(LatencyHistogram h)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long v = 0; v < 1_000_000; v += 7) h.Record(v * 13);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Concurrent_records_are_all_counted()
    {
        var h = new LatencyHistogram();
        Parallel.For(0, 4, _ =>
        {
            for (int i = 0; i < 100_000; i++) h.Record(i % 5000);
        });
        Assert.Equal(400_000, h.TotalCount);
        Assert.Equal(4999, h.Max);
    }

    [Fact]
    public void Histograms_add_up()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (int i = 1; i <= 50; i++) a.Record(i);
        for (int i = 51; i <= 100; i++) b.Record(i);
        a.Add(b);
        Assert.Equal(100, a.TotalCount);
        Assert.Equal(50, a.ValueAtPercentile(50));
        Assert.Equal(100, a.Max);
        Assert.Equal(1, a.Min);
    }
}
