using Gregor.Broker.Network;

namespace Gregor.Broker.Tests.Network;

public sealed class FrameBufferPoolTests
{
    [Theory]
    [InlineData(10, 16)]
    [InlineData(1000, 1024)]
    [InlineData(65536, 65536)]
    [InlineData(65537, 81920)] // a quarter step above 64 KiB
    [InlineData(1_000_100, 1 << 20)] // an ordinary produce request: whole, a little spare
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, (1 << 20) + (1 << 18))]
    [InlineData(100 << 20, 112 << 20)]
    public void Capacities_are_quarter_steps_of_a_doubling(int bytes, int capacity)
    {
        Assert.Equal(capacity, FrameBufferPool.CapacityFor(bytes));
        Assert.True(capacity - bytes <= Math.Max(bytes / 4, 16));
    }

    [Fact]
    public void Large_arrays_are_reused_up_to_the_retention_limit()
    {
        var pool = new FrameBufferPool(3 << 20, new ManualClock());
        byte[] a = pool.Rent(1 << 20), b = pool.Rent(1 << 20), c = pool.Rent(1 << 20), d = pool.Rent(1 << 20);
        foreach (var array in new[] { a, b, c, d }) pool.Return(array);
        Assert.Equal(3L << 20, pool.IdleBytes); // the fourth went to the GC
        Assert.Same(c, pool.Rent(1 << 20));
        Assert.NotSame(a, pool.Rent(81920)); // another size class
    }

    [Fact]
    public void Trimming_drops_arrays_unused_for_a_while()
    {
        var clock = new ManualClock();
        var pool = new FrameBufferPool(100 << 20, clock);
        byte[] stale = pool.Rent(1 << 20), fresh = pool.Rent(1 << 20);
        pool.Return(stale);
        clock.Advance(TimeSpan.FromSeconds(30));
        pool.Return(fresh);
        Assert.Equal(1L << 20, pool.Trim(TimeSpan.FromSeconds(10)));
        Assert.Equal(1L << 20, pool.IdleBytes);
        Assert.Same(fresh, pool.Rent(1 << 20));
        Assert.NotSame(stale, pool.Rent(1 << 20));
    }
}
