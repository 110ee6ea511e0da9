using System.Runtime.InteropServices;
using Gregor.Broker.Network;

namespace Gregor.Broker.Tests.Network;

public sealed class FrameBufferPoolTests
{
    private static bool Same(Memory<byte> a, Memory<byte> b) => a.Equals(b);

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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Large_buffers_are_reused_up_to_the_retention_limit(bool mapped)
    {
        var pool = new FrameBufferPool(3 << 20, new ManualClock(), mapped);
        var rented = Enumerable.Range(0, 4).Select(_ => pool.Rent(1 << 20)).ToList();
        Assert.All(rented, b => Assert.Equal(1 << 20, b.Length));
        rented[3].Span.Fill(1); // writable end to end
        Assert.Equal(mapped && MappedBuffer.IsSupported, MemoryMarshal.TryGetMemoryManager<byte, MappedBuffer>(rented[0], out _));
        foreach (var buffer in rented) pool.Return(buffer);
        Assert.Equal(3L << 20, pool.IdleBytes); // the first returned made room for the fourth
        Assert.True(Same(rented[3], pool.Rent(1 << 20)));
        Assert.True(Same(rented[2], pool.Rent(1 << 20)));
        Assert.True(Same(rented[1], pool.Rent(1 << 20)));
        Assert.False(Same(rented[0], pool.Rent(1 << 20)));
        // An array let go is the collector's to reclaim, so it counts; a mapping is unmapped at once.
        Assert.Equal(mapped && MappedBuffer.IsSupported ? 0 : 1L << 20, pool.Trim(TimeSpan.FromHours(1)));
    }

    [Fact]
    public void A_new_size_pushes_out_the_least_recently_returned()
    {
        var clock = new ManualClock();
        var pool = new FrameBufferPool(5 << 19, clock); // 2.5 MiB
        Memory<byte> older = pool.Rent(1 << 20), newer = pool.Rent(1 << 20), other = pool.Rent(3 << 19);
        pool.Return(older);
        clock.Advance(TimeSpan.FromSeconds(1));
        pool.Return(newer);
        clock.Advance(TimeSpan.FromSeconds(1));
        pool.Return(other); // 1.5 MiB fits beside one of the two: the older goes
        Assert.Equal(5L << 19, pool.IdleBytes);
        Assert.True(Same(other, pool.Rent(3 << 19)));
        Assert.True(Same(newer, pool.Rent(1 << 20)));
        Assert.False(Same(older, pool.Rent(1 << 20)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Trimming_lets_go_of_buffers_unused_for_a_while(bool mapped)
    {
        var clock = new ManualClock();
        var pool = new FrameBufferPool(100 << 20, clock, mapped);
        Memory<byte> stale = pool.Rent(1 << 20), fresh = pool.Rent(1 << 20);
        pool.Return(stale);
        clock.Advance(TimeSpan.FromSeconds(30));
        pool.Return(fresh);
        Assert.Equal(mapped && MappedBuffer.IsSupported ? 0 : 1L << 20, pool.Trim(TimeSpan.FromSeconds(10)));
        Assert.Equal(1L << 20, pool.IdleBytes);
        Assert.True(Same(fresh, pool.Rent(1 << 20)));
        Assert.False(Same(stale, pool.Rent(1 << 20)));
    }

    [Fact]
    public void Small_frames_come_from_the_shared_array_pool()
    {
        var pool = new FrameBufferPool(1 << 20, new ManualClock());
        var small = pool.Rent(1000);
        Assert.True(MemoryMarshal.TryGetArray<byte>(small, out var segment) && segment.Array!.Length == 1024);
        pool.Return(small);
        Assert.Equal(0, pool.IdleBytes);
    }
}
