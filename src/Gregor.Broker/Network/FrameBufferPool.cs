using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Gregor.Broker.Network;

/// <summary>
/// The buffers request frames are received into. Frames up to <see cref="SmallFrameBytes"/> come from
/// <see cref="ArrayPool{T}.Shared"/> (cheap, and its small buckets hold little). Larger ones are
/// <see cref="MappedBuffer"/>s (arrays where mmap is not available) in size classes of four steps per doubling
/// (at most a quarter wasted), kept here for reuse so that ordinary produce requests are not mapped afresh
/// each time: at most <c>retainBytes</c> of idle buffers are kept, the least recently returned let go first
/// to make room for a newer one, and <see cref="Trim"/> lets go of those not reused for a while. The shared
/// array pool, used before, kept up to 32 arrays per size per core for ever (measured: 6.6 GB still held after
/// 60 clients sending 100 MiB bodies had gone).
/// </summary>
internal sealed class FrameBufferPool : ITrimmable
{
    public const int SmallFrameBytes = 64 * 1024;

    private const int StepsPerDoubling = 4;

    private readonly Lock _gate = new();
    // By capacity, the most recently returned last.
    private readonly Dictionary<int, LinkedList<(Memory<byte> Buffer, long ReturnedAt)>> _idle = [];
    private readonly TimeProvider _time;
    private readonly long _retainBytes;
    private readonly bool _mapped;
    private long _idleBytes;
    private long _droppedArrays; // arrays left to the collector since the last Trim

    public FrameBufferPool(long retainBytes, TimeProvider time, bool mapped = true)
    {
        _retainBytes = retainBytes;
        _time = time;
        _mapped = mapped && MappedBuffer.IsSupported;
    }

    /// <summary>Idle buffers kept for reuse, in bytes.</summary>
    public long IdleBytes
    {
        get { lock (_gate) return _idleBytes; }
    }

    /// <summary>The length of the buffer <see cref="Rent"/> gives for <paramref name="bytes"/>: what a request reserves.</summary>
    public static int CapacityFor(int bytes)
    {
        if (bytes <= SmallFrameBytes) return (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(bytes, 16));
        // The doubling at or below bytes, then the first quarter step of it that holds bytes.
        long doubling = 1L << BitOperations.Log2((uint)bytes);
        long step = doubling / StepsPerDoubling;
        long capacity = doubling + (bytes - doubling + step - 1) / step * step;
        return (int)Math.Min(capacity, Array.MaxLength);
    }

    /// <summary>A buffer of at least <paramref name="capacity"/> bytes (exactly that many above <see cref="SmallFrameBytes"/>).</summary>
    public Memory<byte> Rent(int capacity)
    {
        if (capacity <= SmallFrameBytes) return ArrayPool<byte>.Shared.Rent(capacity);
        lock (_gate)
        {
            if (_idle.TryGetValue(capacity, out var list) && list.Last is { } newest)
            {
                list.RemoveLast();
                _idleBytes -= capacity;
                return newest.Value.Buffer;
            }
        }
        return _mapped ? MappedBuffer.Map(capacity).Memory : GC.AllocateUninitializedArray<byte>(capacity);
    }

    public void Return(Memory<byte> buffer)
    {
        if (buffer.Length <= SmallFrameBytes && MemoryMarshal.TryGetArray<byte>(buffer, out var small))
        {
            ArrayPool<byte>.Shared.Return(small.Array!);
            return;
        }
        var evicted = new List<Memory<byte>>(0);
        lock (_gate)
        {
            if (buffer.Length > _retainBytes)
            {
                evicted.Add(buffer);
            }
            else
            {
                // Room for the newest first: the buffers returned longest ago go.
                while (_idleBytes + buffer.Length > _retainBytes && TakeOldest() is { } oldest) evicted.Add(oldest);
                if (!_idle.TryGetValue(buffer.Length, out var list)) _idle[buffer.Length] = list = new();
                list.AddLast((buffer, _time.GetTimestamp()));
                _idleBytes += buffer.Length;
            }
        }
        foreach (var gone in evicted) Release(gone);
    }

    /// <summary>Lets go of idle buffers not reused within <paramref name="unusedFor"/>; returns the array bytes left to the collector since the last call.</summary>
    public long Trim(TimeSpan unusedFor)
    {
        var stale = new List<Memory<byte>>();
        lock (_gate)
        {
            foreach (var list in _idle.Values)
            {
                while (list.First is { } oldest && _time.GetElapsedTime(oldest.Value.ReturnedAt) >= unusedFor)
                {
                    list.RemoveFirst();
                    _idleBytes -= oldest.Value.Buffer.Length;
                    stale.Add(oldest.Value.Buffer);
                }
            }
        }
        foreach (var buffer in stale) Release(buffer);
        return Interlocked.Exchange(ref _droppedArrays, 0);
    }

    /// <summary>Under the lock: removes and returns the idle buffer returned longest ago, if any.</summary>
    private Memory<byte>? TakeOldest()
    {
        LinkedList<(Memory<byte> Buffer, long ReturnedAt)>? from = null;
        foreach (var list in _idle.Values)
            if (list.First is { } first && (from is null || first.Value.ReturnedAt < from.First!.Value.ReturnedAt))
                from = list;
        if (from is null) return null;
        var oldest = from.First!.Value.Buffer;
        from.RemoveFirst();
        _idleBytes -= oldest.Length;
        return oldest;
    }

    /// <summary>A mapped buffer is unmapped at once; an array is left to the collector (and counted for it).</summary>
    private void Release(Memory<byte> buffer)
    {
        if (MemoryMarshal.TryGetMemoryManager<byte, MappedBuffer>(buffer, out var mapped))
            ((IDisposable)mapped).Dispose();
        else
            Interlocked.Add(ref _droppedArrays, buffer.Length);
    }
}
