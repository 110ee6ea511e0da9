using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Gregor.Broker.Network;

/// <summary>
/// The buffers request frames are received into. Frames up to <see cref="SmallFrameBytes"/> come from
/// <see cref="ArrayPool{T}.Shared"/> (cheap, and its small buckets hold little). Larger ones are
/// <see cref="MappedBuffer"/>s (arrays where mmap is not available) in size classes of four steps per doubling
/// (at most a quarter wasted), kept here for reuse so that ordinary produce requests are not mapped afresh
/// each time: at most <c>retainBytes</c> of idle buffers are kept, and <see cref="Trim"/> lets go of those not
/// reused for a while. The shared array pool, used before, kept up to 32 arrays per size per core for ever
/// (measured: 6.6 GB still held after 60 clients sending 100 MiB bodies had gone).
/// </summary>
internal sealed class FrameBufferPool : ITrimmable
{
    public const int SmallFrameBytes = 64 * 1024;

    private const int StepsPerDoubling = 4;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, Stack<(Memory<byte> Buffer, long ReturnedAt)>> _idle = [];
    private readonly TimeProvider _time;
    private readonly long _retainBytes;
    private readonly bool _mapped;
    private long _idleBytes;
    private long _dropped; // let go on return (over the retention limit) since the last Trim

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
            if (_idle.TryGetValue(capacity, out var stack) && stack.TryPop(out var idle))
            {
                _idleBytes -= capacity;
                return idle.Buffer;
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
        lock (_gate)
        {
            if (_idleBytes + buffer.Length <= _retainBytes)
            {
                if (!_idle.TryGetValue(buffer.Length, out var stack)) _idle[buffer.Length] = stack = new();
                stack.Push((buffer, _time.GetTimestamp()));
                _idleBytes += buffer.Length;
                return;
            }
            _dropped += buffer.Length; // past the retention limit
        }
        Release(buffer);
    }

    /// <summary>Lets go of idle buffers not reused within <paramref name="unusedFor"/>; returns the bytes let go since the last call.</summary>
    public long Trim(TimeSpan unusedFor)
    {
        var stale = new List<Memory<byte>>();
        long released;
        lock (_gate)
        {
            released = _dropped;
            _dropped = 0;
            foreach (var stack in _idle.Values)
            {
                var entries = stack.ToArray(); // the most recently returned first
                stack.Clear();
                for (int i = entries.Length - 1; i >= 0; i--)
                {
                    if (_time.GetElapsedTime(entries[i].ReturnedAt) < unusedFor) stack.Push(entries[i]);
                    else stale.Add(entries[i].Buffer);
                }
            }
            foreach (var buffer in stale)
            {
                _idleBytes -= buffer.Length;
                released += buffer.Length;
            }
        }
        foreach (var buffer in stale) Release(buffer);
        return released;
    }

    /// <summary>A mapped buffer is unmapped at once; an array is left to the collector.</summary>
    private static void Release(Memory<byte> buffer)
    {
        if (MemoryMarshal.TryGetMemoryManager<byte, MappedBuffer>(buffer, out var mapped)) ((IDisposable)mapped).Dispose();
    }
}
