using Gregor.Broker.Network;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker.Tests.Network;

public sealed class ReceiveBufferPoolTests
{
    [Fact]
    public void A_rented_block_is_a_whole_block_whatever_was_asked()
    {
        using var pool = new ReceiveBufferPool();
        using var small = pool.Rent(1);
        using var any = pool.Rent();
        Assert.Equal(ReceiveBufferPool.BlockSize, small.Memory.Length);
        Assert.Equal(ReceiveBufferPool.BlockSize, any.Memory.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(ReceiveBufferPool.BlockSize + 1));
    }

    [Fact]
    public void Returned_blocks_are_reused_and_blocks_in_use_are_never_shared()
    {
        using var pool = new ReceiveBufferPool();
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
        using var pool = new ReceiveBufferPool();
        var rented = Enumerable.Range(0, ReceiveBufferPool.RetainedBlocks + 10).Select(_ => pool.Rent()).ToList();
        foreach (var block in rented) block.Dispose();
        var reused = Enumerable.Range(0, ReceiveBufferPool.RetainedBlocks + 10).Select(_ => pool.Rent()).ToList();
        Assert.Equal(ReceiveBufferPool.RetainedBlocks, reused.Count(rented.Contains));
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
        var pool = new ReceiveBufferPool();
        var block = pool.Rent();
        pool.Dispose();
        block.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }
}
