using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Numerics;
using Gregor.Broker.Configuration;

namespace Gregor.Broker.Network;

/// <summary>
/// Reads size-prefixed request frames off a connection's input into memory reserved from the broker's request
/// budget as the bytes arrive. The size is checked against <c>socket.request.max.bytes</c> before anything is
/// taken; a size prefix alone takes nothing; the frame's buffer then never holds more than
/// <see cref="GrowthFactor"/> times the bytes received (at least <see cref="FrameBufferPool.SmallFrameBytes"/>),
/// growing as more arrive. A frame that has mostly arrived by the time the body starts (an ordinary produce
/// request over a fast link) is received whole, with no copy beyond the one out of the socket's blocks.
/// </summary>
internal sealed class FrameReader
{
    /// <summary>A buffer holds at most this many times the bytes received so far; growing is then at most one extra copy of a seventh.</summary>
    public const int GrowthFactor = 8;

    private readonly PipeReader _input;
    private readonly int _maxFrameBytes;
    private readonly RequestMemory _memory;
    private readonly FrameBufferPool _pool;
    private readonly FrameReservation _reservation;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stop;

    public FrameReader(PipeReader input, int maxFrameBytes, RequestMemory memory, FrameBufferPool pool, FrameReservation reservation, TimeProvider time, CancellationToken stop)
    {
        _input = input;
        _maxFrameBytes = maxFrameBytes;
        _memory = memory;
        _pool = pool;
        _reservation = reservation;
        _time = time;
        _stop = stop;
    }

    /// <summary>
    /// The next frame in a buffer from <see cref="FrameBufferPool"/> whose memory the reservation holds (the
    /// caller gives both back with <see cref="Release"/> once answered), or null when the peer closed between
    /// frames. Throws <see cref="FrameRejectedException"/> for a bad frame and <see cref="OperationCanceledException"/>
    /// when the connection's stop token fires (idle, closed for memory, broker stopping).
    /// </summary>
    public async ValueTask<(Memory<byte> Buffer, int Length)?> ReadAsync()
    {
        int size = await ReadSizeAsync().ConfigureAwait(false);
        if (size < 0) return null;
        Memory<byte> buffer = default;
        int capacity = 0; // the part of the buffer reserved and used: a shared-pool array may be longer
        _reservation.Begin(size, _time.GetTimestamp());
        _memory.BeginReceiving(_reservation);
        try
        {
            int copied = 0;
            while (copied < size)
            {
                ReadResult result = await _input.ReadAsync(_stop).ConfigureAwait(false);
                ReadOnlySequence<byte> input = result.Buffer;
                if (copied == capacity)
                {
                    int grown = NextCapacity(capacity, size, copied + input.Length);
                    buffer = await GrowAsync(buffer, capacity, grown, copied).ConfigureAwait(false);
                    capacity = grown;
                }
                var take = input.Slice(0, Math.Min(input.Length, Math.Min(size, capacity) - copied));
                take.CopyTo(buffer.Span[copied..]);
                copied += (int)take.Length;
                _reservation.Received = copied;
                _input.AdvanceTo(take.End);
                if (copied < size && result.IsCompleted && take.Length == input.Length)
                    throw new FrameRejectedException($"connection closed after {copied} of a {size}-byte request");
            }
            _memory.EndReceiving(_reservation);
            return (buffer, size);
        }
        catch
        {
            Release(buffer);
            throw;
        }
    }

    /// <summary>Gives a frame's buffer back to the pool and its memory back to the budget.</summary>
    public void Release(Memory<byte> buffer)
    {
        _memory.Release(_reservation);
        if (!buffer.IsEmpty) _pool.Return(buffer);
    }

    /// <summary>The size prefix, or -1 when the peer closed cleanly between frames.</summary>
    private async ValueTask<int> ReadSizeAsync()
    {
        while (true)
        {
            ReadResult result = await _input.ReadAsync(_stop).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= 4)
            {
                int size = ReadSize(buffer);
                _input.AdvanceTo(buffer.GetPosition(4));
                return size;
            }
            if (result.IsCompleted)
            {
                _input.AdvanceTo(buffer.End);
                if (buffer.Length == 0) return -1;
                throw new FrameRejectedException($"connection closed after {buffer.Length} bytes of a size prefix");
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// The next buffer size: the whole frame when it is small or has mostly arrived, else
    /// <see cref="GrowthFactor"/> times what has arrived, and at least double the current one. A buffer that
    /// will be outgrown is a power of two, so that the pool sees few sizes of them and keeps reusing them: the
    /// power at or below what is wanted, which keeps the bound (a full buffer of a power of two doubles at least).
    /// </summary>
    private int NextCapacity(int held, int size, long arrived)
    {
        long wanted = Math.Max(Math.Max(FrameBufferPool.SmallFrameBytes, arrived * GrowthFactor), 2L * held);
        int capacity = wanted >= size
            ? FrameBufferPool.CapacityFor(size)
            : (int)Math.Min(1L << BitOperations.Log2((ulong)wanted), int.MaxValue);
        capacity = Math.Min(capacity, _maxFrameBytes);
        return Math.Max(capacity, Math.Min(size, held + 1));
    }

    /// <summary>
    /// A buffer of <paramref name="capacity"/> holding the first <paramref name="copied"/> bytes of
    /// <paramref name="current"/>, the growth reserved first (waiting for it if need be). The budget counts each
    /// request's current buffer; the old one, at most half the new, overlaps it only for the copy.
    /// </summary>
    private async ValueTask<Memory<byte>> GrowAsync(Memory<byte> current, int held, int capacity, int copied)
    {
        await _memory.GrowAsync(_reservation, capacity - held, _stop).ConfigureAwait(false);
        Memory<byte> bigger;
        try
        {
            bigger = _pool.Rent(capacity);
        }
        catch
        {
            _memory.Shrink(_reservation, capacity - held);
            throw;
        }
        if (current.IsEmpty) return bigger;
        current.Span[..copied].CopyTo(bigger.Span);
        _pool.Return(current);
        return bigger;
    }

    private int ReadSize(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size < RequestLimits.MinimumFrameBytes)
            throw new FrameRejectedException($"request size {size} is below the {RequestLimits.MinimumFrameBytes}-byte minimum");
        if (size > _maxFrameBytes)
            throw new FrameRejectedException($"request size {size} exceeds socket.request.max.bytes ({_maxFrameBytes})");
        return size;
    }
}
