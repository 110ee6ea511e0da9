using Gregor.Broker.Network;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker.Tests.Network;

public sealed class ReceiveBufferPoolTests
{
    private static ReceiveBufferPool NewPool(int largeBlocks = 1000, TimeProvider? time = null) =>
        new(new ReceiveBlockLimit((long)largeBlocks * ReceiveBufferPool.BlockSize), time ?? TimeProvider.System);

    [Fact]
    public void A_rented_block_is_a_whole_block_whatever_was_asked()
    {
        using var pool = NewPool();
        using var small = pool.Rent(1);
        using var any = pool.Rent();
        Assert.Equal(ReceiveBufferPool.BlockSize, small.Memory.Length);
        Assert.Equal(ReceiveBufferPool.BlockSize, any.Memory.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(ReceiveBufferPool.BlockSize + 1));
    }

    [Fact]
    public void Returned_blocks_are_reused_and_blocks_in_use_are_never_shared()
    {
        using var pool = NewPool();
        var first = pool.Rent();
        var second = pool.Rent();
        first.Memory.Span[0] = 1;
        second.Memory.Span[0] = 2;
        Assert.Equal(1, first.Memory.Span[0]);
        first.Dispose();
        var again = pool.Rent();
        Assert.Same(first, again);
        Assert.NotSame(second, again);
        again.Dispose();
        second.Dispose();
    }

    [Fact]
    public void At_most_the_retained_number_of_idle_blocks_is_kept()
    {
        using var pool = NewPool();
        var rented = Enumerable.Range(0, ReceiveBufferPool.RetainedBlocks + 10).Select(_ => pool.Rent()).ToList();
        foreach (var block in rented) block.Dispose();
        var reused = Enumerable.Range(0, ReceiveBufferPool.RetainedBlocks + 10).Select(_ => pool.Rent()).ToList();
        Assert.Equal(ReceiveBufferPool.RetainedBlocks, reused.Count(rented.Contains));
    }

    [Fact]
    public void Past_the_broker_wide_limit_reads_get_small_blocks_and_writes_what_they_asked()
    {
        var limit = new ReceiveBlockLimit(2L * ReceiveBufferPool.BlockSize);
        using var one = new ReceiveBufferPool(limit, TimeProvider.System);
        using var other = new ReceiveBufferPool(limit, TimeProvider.System); // another listener, same limit
        var a = one.Rent();
        var b = other.Rent();
        var c = one.Rent(100);
        var d = other.Rent(10_000);
        Assert.Equal(ReceiveBufferPool.BlockSize, a.Memory.Length);
        Assert.Equal(ReceiveBufferPool.BlockSize, b.Memory.Length);
        Assert.Equal(ReceiveBufferPool.SmallBlockSize, c.Memory.Length);
        Assert.Equal(10_000, d.Memory.Length);
        Assert.Equal(2, limit.InUse);

        a.Dispose(); // idle in its pool: still counted, and reused there first
        Assert.Same(a, one.Rent());
        b.Dispose();
        other.Dispose(); // a disposed pool lets its idle blocks go
        Assert.Equal(1, limit.InUse);
        Assert.Equal(ReceiveBufferPool.BlockSize, one.Rent().Memory.Length);
        c.Dispose();
        d.Dispose();
    }

    [Fact]
    public void Trimming_lets_go_of_blocks_unused_for_a_while_and_keeps_recent_ones()
    {
        var clock = new ManualClock();
        var limit = new ReceiveBlockLimit(100L * ReceiveBufferPool.BlockSize);
        using var pool = new ReceiveBufferPool(limit, clock);
        var old = Enumerable.Range(0, 5).Select(_ => pool.Rent()).ToList();
        var recent = pool.Rent();
        foreach (var block in old) block.Dispose();
        clock.Advance(TimeSpan.FromSeconds(20));
        recent.Dispose();

        Assert.Equal(5L * ReceiveBufferPool.BlockSize, pool.Trim(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, pool.IdleBlocks);
        Assert.Equal(1, limit.InUse);
        Assert.Same(recent, pool.Rent());
    }

    [Fact]
    public async Task The_broker_gives_kestrel_this_pool()
    {
        await using var broker = await TestBroker.StartAsync();
        var factory = broker.Host.Services.GetRequiredService<IMemoryPoolFactory<byte>>();
        Assert.IsType<ReceiveBufferPoolFactory>(factory);
        using var pool = factory.Create();
        Assert.Equal(ReceiveBufferPool.BlockSize, pool.MaxBufferSize);
    }

    [Fact]
    public void A_disposed_pool_refuses_rents_and_drops_returns()
    {
        var pool = NewPool();
        var block = pool.Rent();
        pool.Dispose();
        block.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }
}
