using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Gregor.Broker.Configuration;

namespace Gregor.Broker.Network;

/// <summary>
/// Reads size-prefixed request frames off a connection's input. The size is checked against the
/// limits before any memory is taken for the frame; the frame is then copied into a pooled array as
/// its bytes arrive (consumed at once, so a frame larger than the transport's buffer never stalls it).
/// </summary>
internal sealed class FrameReader
{
    private readonly PipeReader _input;
    private readonly int _maxFrameBytes;
    private readonly IdleWatch _idle;

    public FrameReader(PipeReader input, int maxFrameBytes, IdleWatch idle)
    {
        _input = input;
        _maxFrameBytes = maxFrameBytes;
        _idle = idle;
    }

    /// <summary>
    /// The next frame in an array rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it),
    /// or null when the connection should end quietly: the peer closed between frames, it was idle too
    /// long, or the broker is shutting down. Throws <see cref="FrameRejectedException"/> for a bad frame.
    /// </summary>
    public async ValueTask<(byte[] Array, int Length)?> ReadAsync()
    {
        int size = -1;
        while (size < 0)
        {
            ReadResult result = await ReadOnceAsync().ConfigureAwait(false);
            if (result.IsCanceled) return null;
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= 4)
            {
                size = ReadSize(buffer);
                _input.AdvanceTo(buffer.GetPosition(4));
                break;
            }
            if (result.IsCompleted)
            {
                _input.AdvanceTo(buffer.End);
                if (buffer.Length == 0) return null;
                throw new FrameRejectedException($"connection closed after {buffer.Length} bytes of a size prefix");
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }

        byte[] array = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            int copied = 0;
            while (copied < size)
            {
                ReadResult result = await ReadOnceAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    ArrayPool<byte>.Shared.Return(array);
                    return null;
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                var take = buffer.Slice(0, Math.Min(buffer.Length, size - copied));
                take.CopyTo(array.AsSpan(copied));
                copied += (int)take.Length;
                _input.AdvanceTo(take.End);
                if (copied < size && result.IsCompleted)
                    throw new FrameRejectedException($"connection closed after {copied} of a {size}-byte request");
            }
            return (array, size);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array);
            throw;
        }
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

    /// <summary>One read with the idle clock running; a cancelled result means stop (idle or shutdown).</summary>
    private async ValueTask<ReadResult> ReadOnceAsync()
    {
        while (true)
        {
            _idle.Arm();
            ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
            _idle.Disarm();
            if (!result.IsCanceled || _idle.ShouldStop()) return result;
            // A stale cancel left by a timer that raced with data arriving: read again.
            _input.AdvanceTo(result.Buffer.Start);
        }
    }
}
