using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Gregor.Broker.Network;

/// <summary>
/// The memory Kestrel's socket transport receives into and sends from, in blocks of
/// <see cref="BlockSize"/> bytes. Kestrel's own pool hands out 4 KiB blocks, so every 4 KiB of a
/// megabyte Produce request cost a receive system call, a pipe flush and a thread-pool hop (measured:
/// about two receive calls per 4 KiB); a block of <see cref="BlockSize"/> lets one call take whatever
/// the socket holds. Blocks are pinned (the socket pins them anyway) and reused; at most
/// <see cref="RetainedBlocks"/> idle ones are kept, the rest are left to the GC.
/// </summary>
internal sealed class ReceiveBufferPool : MemoryPool<byte>
{
    public const int BlockSize = 256 * 1024;

    /// <summary>Idle blocks kept for reuse: enough for a few busy connections, 16 MiB in all.</summary>
    public const int RetainedBlocks = 64;

    private readonly ConcurrentQueue<Block> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryDequeue(out Block? block))
        {
            Interlocked.Decrement(ref _idleCount);
            return block;
        }
        return new Block(this);
    }

    private void Return(Block block)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > RetainedBlocks)
        {
            Interlocked.Decrement(ref _idleCount);
            return;
        }
        _idle.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _idle.Clear();
    }

    private sealed class Block(ReceiveBufferPool pool) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public void Dispose() => pool.Return(this);
    }
}

/// <summary>Gives Kestrel's socket transport a <see cref="ReceiveBufferPool"/> per listener.</summary>
internal sealed class ReceiveBufferPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new ReceiveBufferPool();
}
