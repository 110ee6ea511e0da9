using System.Buffers;
using System.Numerics;

namespace Gregor.Broker.Network;

/// <summary>
/// The arrays request frames are received into. Frames up to <see cref="SmallFrameBytes"/> come from
/// <see cref="ArrayPool{T}.Shared"/> (cheap, and its small buckets hold little). Larger ones come from size
/// classes of four steps per doubling (at most a quarter wasted) kept here, so that after load the broker can
/// let them go: at most <c>retainBytes</c> of idle arrays are kept, and <see cref="Trim"/> drops those not
/// reused for a while. The shared pool would keep up to 32 arrays per size per core for ever (measured
/// before: 6.6 GB still held after 60 clients sending 100 MiB bodies had gone).
/// </summary>
internal sealed class FrameBufferPool : ITrimmable
{
    public const int SmallFrameBytes = 64 * 1024;

    private const int StepsPerDoubling = 4;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, Stack<(byte[] Array, long ReturnedAt)>> _idle = [];
    private readonly TimeProvider _time;
    private readonly long _retainBytes;
    private long _idleBytes;

    public FrameBufferPool(long retainBytes, TimeProvider time)
    {
        _retainBytes = retainBytes;
        _time = time;
    }

    /// <summary>Idle arrays kept for reuse, in bytes.</summary>
    public long IdleBytes
    {
        get { lock (_gate) return _idleBytes; }
    }

    /// <summary>The length of the array <see cref="Rent"/> gives for <paramref name="bytes"/>: what a request reserves.</summary>
    public static int CapacityFor(int bytes)
    {
        if (bytes <= SmallFrameBytes) return (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(bytes, 16));
        // The doubling at or below bytes, then the first quarter step of it that holds bytes.
        long doubling = 1L << BitOperations.Log2((uint)bytes);
        long step = doubling / StepsPerDoubling;
        long capacity = doubling + (bytes - doubling + step - 1) / step * step;
        return (int)Math.Min(capacity, Array.MaxLength);
    }

    public byte[] Rent(int capacity)
    {
        if (capacity <= SmallFrameBytes) return ArrayPool<byte>.Shared.Rent(capacity);
        lock (_gate)
        {
            if (_idle.TryGetValue(capacity, out var stack) && stack.TryPop(out var idle))
            {
                _idleBytes -= capacity;
                return idle.Array;
            }
        }
        return GC.AllocateUninitializedArray<byte>(capacity);
    }

    public void Return(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length <= SmallFrameBytes)
        {
            ArrayPool<byte>.Shared.Return(array);
            return;
        }
        lock (_gate)
        {
            if (_idleBytes + array.Length > _retainBytes) return; // past the retention limit: the GC takes it
            if (!_idle.TryGetValue(array.Length, out var stack)) _idle[array.Length] = stack = new();
            stack.Push((array, _time.GetTimestamp()));
            _idleBytes += array.Length;
        }
    }

    /// <summary>Drops idle arrays not reused within <paramref name="unusedFor"/>; returns the bytes let go.</summary>
    public long Trim(TimeSpan unusedFor)
    {
        long released = 0;
        lock (_gate)
        {
            foreach (var (capacity, stack) in _idle)
            {
                if (stack.Count == 0) continue;
                // A stack's bottom was returned first: keep the recently used top, drop the stale bottom.
                var kept = stack.Where(e => _time.GetElapsedTime(e.ReturnedAt) < unusedFor).Reverse().ToArray();
                released += (long)(stack.Count - kept.Length) * capacity;
                stack.Clear();
                foreach (var entry in kept) stack.Push(entry);
            }
            _idleBytes -= released;
        }
        return released;
    }
}
