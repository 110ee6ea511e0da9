using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Gregor.Broker.Network;

/// <summary>
/// The memory Kestrel's socket transport receives into and sends from. Kestrel's own pool hands out 4 KiB
/// blocks, so every 4 KiB of a megabyte Produce request cost a receive system call, a pipe flush and a
/// thread-pool hop (measured: about two receive calls per 4 KiB); a block of <see cref="BlockSize"/> lets one
/// call take whatever the socket holds. Those large blocks are pinned (the socket pins them anyway), reused,
/// and limited broker-wide by <see cref="ReceiveBlockLimit"/>: past it a connection reads into
/// <see cref="SmallBlockSize"/> blocks, slower but bounded, so a thousand connections each holding a few bytes
/// of a request cannot pin a thousand large blocks. At most <see cref="RetainedBlocks"/> idle large blocks are
/// kept, and <see cref="Trim"/> lets go of those unused for a while.
/// </summary>
internal sealed class ReceiveBufferPool : MemoryPool<byte>, ITrimmable
{
    public const int BlockSize = 256 * 1024;

    public const int SmallBlockSize = 4096;

    /// <summary>Idle large blocks kept for reuse: enough for a few busy connections, 16 MiB in all.</summary>
    public const int RetainedBlocks = 64;

    /// <summary>Idle small blocks kept: 4 MiB.</summary>
    public const int RetainedSmallBlocks = 1024;

    private readonly Lock _gate = new();
    private readonly Stack<Block> _idle = new();
    private readonly Stack<Block> _idleSmall = new();
    private readonly ReceiveBlockLimit _limit;
    private readonly TimeProvider _time;
    private bool _disposed;
    private long _dropped; // blocks let go on return (more idle than kept) since the last Trim

    public ReceiveBufferPool(ReceiveBlockLimit limit, TimeProvider time)
    {
        _limit = limit;
        _time = time;
    }

    public override int MaxBufferSize => BlockSize;

    /// <summary>Idle large blocks held for reuse.</summary>
    public int IdleBlocks
    {
        get { lock (_gate) return _idle.Count; }
    }

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryPop(out Block? block)) return block;
            if (minBufferSize <= SmallBlockSize && !_limit.IsAvailable && _idleSmall.TryPop(out Block? small)) return small;
        }
        if (_limit.TryAcquire()) return new Block(this, BlockSize, pinned: true);
        // The large blocks are spent: a small block, or exactly what a write asked for (not kept).
        return new Block(this, Math.Max(SmallBlockSize, minBufferSize), pinned: false);
    }

    private void Return(Block block)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                block.ReturnedAt = _time.GetTimestamp();
                if (block.Memory.Length == BlockSize && _idle.Count < RetainedBlocks)
                {
                    _idle.Push(block);
                    return;
                }
                if (block.Memory.Length == SmallBlockSize && _idleSmall.Count < RetainedSmallBlocks)
                {
                    _idleSmall.Push(block);
                    return;
                }
            }
        }
        if (block.Memory.Length != BlockSize) return;
        _limit.Release();
        Interlocked.Add(ref _dropped, BlockSize);
    }

    /// <summary>Lets go of idle blocks not reused within <paramref name="unusedFor"/>; returns the bytes let go since the last call.</summary>
    public long Trim(TimeSpan unusedFor)
    {
        int large, small;
        lock (_gate)
        {
            large = TrimStack(_idle, unusedFor);
            small = TrimStack(_idleSmall, unusedFor);
        }
        for (int i = 0; i < large; i++) _limit.Release();
        return (long)large * BlockSize + (long)small * SmallBlockSize + Interlocked.Exchange(ref _dropped, 0);
    }

    /// <summary>The most recently returned blocks are on top; those at the bottom unused long enough go.</summary>
    private int TrimStack(Stack<Block> stack, TimeSpan unusedFor)
    {
        var kept = stack.Where(b => _time.GetElapsedTime(b.ReturnedAt) < unusedFor).Reverse().ToArray();
        int dropped = stack.Count - kept.Length;
        stack.Clear();
        foreach (var block in kept) stack.Push(block);
        return dropped;
    }

    protected override void Dispose(bool disposing)
    {
        int large;
        lock (_gate)
        {
            _disposed = true;
            large = _idle.Count;
            _idle.Clear();
            _idleSmall.Clear();
        }
        for (int i = 0; i < large; i++) _limit.Release();
    }

    private sealed class Block(ReceiveBufferPool pool, int size, bool pinned) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(size, pinned);

        public long ReturnedAt { get; set; }

        public void Dispose() => pool.Return(this);
    }
}

/// <summary>How many large receive blocks may exist at once across the broker's listeners (from the memory budget).</summary>
internal sealed class ReceiveBlockLimit(long bytes)
{
    private int _inUse;

    public int Blocks { get; } = (int)Math.Clamp(bytes / ReceiveBufferPool.BlockSize, 1, int.MaxValue);

    public int InUse => Volatile.Read(ref _inUse);

    public bool IsAvailable => Volatile.Read(ref _inUse) < Blocks;

    public bool TryAcquire()
    {
        if (Interlocked.Increment(ref _inUse) <= Blocks) return true;
        Interlocked.Decrement(ref _inUse);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _inUse);
}

/// <summary>Gives Kestrel's socket transport a <see cref="ReceiveBufferPool"/> per listener, all under one block limit, each trimmed after load.</summary>
internal sealed class ReceiveBufferPoolFactory(ReceiveBlockLimit limit, TimeProvider time, MemoryTrimmer trimmer) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new ReceiveBufferPool(limit, time);
        trimmer.Add(pool);
        return pool;
    }
}
