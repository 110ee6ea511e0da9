using System.Numerics;

namespace Gregor.Cli.Perf;

/// <summary>
/// A log-linear (HDR-style) histogram of non-negative values, e.g. latencies in microseconds. Values below 2048
/// are counted exactly; above, each power-of-two range is split into 1024 equal buckets, so a reported value is
/// within 0.1% of the true one. Memory is fixed at construction; <see cref="Record"/> neither allocates nor
/// locks (it may be called from several threads at once).
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 11;
    private const int SubBucketCount = 1 << SubBucketBits; // 2048: the exact range
    private const int HalfSubBucketCount = SubBucketCount / 2;

    private readonly long[] _counts;
    private long _totalCount;
    private long _max;
    private long _min = long.MaxValue;
    private long _sum;
    private long _clampedCount;

    /// <param name="highestTrackableValue">Larger values are counted as this value (and in <see cref="ClampedCount"/>).</param>
    public LatencyHistogram(long highestTrackableValue = 3_600_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(highestTrackableValue, SubBucketCount);
        HighestTrackableValue = highestTrackableValue;
        _counts = new long[IndexOf(highestTrackableValue) + 1];
    }

    public long HighestTrackableValue { get; }

    public long TotalCount => Volatile.Read(ref _totalCount);

    /// <summary>The largest value recorded, exact (0 when empty).</summary>
    public long Max => Volatile.Read(ref _max);

    /// <summary>The smallest value recorded, exact (0 when empty).</summary>
    public long Min => TotalCount == 0 ? 0 : Volatile.Read(ref _min);

    public double Mean => TotalCount == 0 ? 0 : (double)Volatile.Read(ref _sum) / TotalCount;

    /// <summary>How many values were above <see cref="HighestTrackableValue"/>.</summary>
    public long ClampedCount => Volatile.Read(ref _clampedCount);

    /// <summary>The memory the counts take, in bytes.</summary>
    public int FootprintBytes => _counts.Length * sizeof(long);

    public void Record(long value)
    {
        if (value < 0) value = 0; // a clock step backwards is not a negative latency
        if (value > HighestTrackableValue)
        {
            Interlocked.Increment(ref _clampedCount);
            value = HighestTrackableValue;
        }
        Interlocked.Increment(ref _counts[IndexOf(value)]);
        Interlocked.Increment(ref _totalCount);
        Interlocked.Add(ref _sum, value);
        long seen;
        while (value > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, value, seen) != seen)
        {
        }
        while (value < (seen = Volatile.Read(ref _min)) && Interlocked.CompareExchange(ref _min, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// The value at or below which <paramref name="percentile"/>% of the recorded values fall (the top of that
    /// value's bucket, capped at <see cref="Max"/>); 0 when empty.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (double.IsNaN(percentile) || percentile < 0 || percentile > 100)
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "must be from 0 to 100");
        long total = TotalCount;
        if (total == 0) return 0;
        // The small epsilon keeps 99.9% of 1000 at 999 despite floating-point rounding up.
        long target = Math.Max(1, (long)Math.Ceiling((percentile / 100.0 * total) - 1e-9));
        long cumulative = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            if (cumulative >= target) return Math.Min(HighestEquivalentValue(i), Max);
        }
        return Max;
    }

    /// <summary>Adds another histogram's counts (same highest trackable value) to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._counts.Length != _counts.Length)
            throw new ArgumentException("histograms of different ranges cannot be added", nameof(other));
        for (int i = 0; i < _counts.Length; i++) Interlocked.Add(ref _counts[i], other._counts[i]);
        Interlocked.Add(ref _totalCount, other.TotalCount);
        Interlocked.Add(ref _sum, other._sum);
        Interlocked.Add(ref _clampedCount, other.ClampedCount);
        if (other.TotalCount > 0)
        {
            if (other.Max > _max) _max = other.Max;
            if (other.Min < _min) _min = other.Min;
        }
    }

    public void Reset()
    {
        Array.Clear(_counts);
        _totalCount = 0;
        _sum = 0;
        _max = 0;
        _min = long.MaxValue;
        _clampedCount = 0;
    }

    /// <summary>p50, p95, p99, p99.9 and max, the figures <c>gregor perf</c> prints.</summary>
    public LatencySummary Summarize() => new(
        TotalCount, Mean, ValueAtPercentile(50), ValueAtPercentile(95), ValueAtPercentile(99), ValueAtPercentile(99.9), Max);

    private static int IndexOf(long value)
    {
        if (value < SubBucketCount) return (int)value;
        int bucket = BitOperations.Log2((ulong)value) - (SubBucketBits - 1); // values in [2^11, 2^12) are bucket 1
        long subBucket = value >> bucket; // in [1024, 2048)
        return SubBucketCount + ((bucket - 1) * HalfSubBucketCount) + (int)(subBucket - HalfSubBucketCount);
    }

    private static long HighestEquivalentValue(int index)
    {
        if (index < SubBucketCount) return index;
        int bucket = ((index - SubBucketCount) / HalfSubBucketCount) + 1;
        long subBucket = ((index - SubBucketCount) % HalfSubBucketCount) + HalfSubBucketCount;
        return ((subBucket + 1) << bucket) - 1;
    }
}

/// <summary>A histogram's headline figures (in the unit values were recorded in).</summary>
internal readonly record struct LatencySummary(long Count, double Mean, long P50, long P95, long P99, long P999, long Max);
