using System.Buffers;

namespace Gregor.Protocol.Records;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>,
/// growing by doubling. Used for decompressed records sections and built batches so that
/// steady-state work reuses memory instead of allocating it.
/// </summary>
public sealed class PooledByteBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public PooledByteBufferWriter(int initialCapacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public int WrittenCount => _written;

    public int Capacity => _buffer.Length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>The written bytes, writable: for patching a header after its body was written.</summary>
    public Span<byte> WrittenSpanForUpdate => _buffer.AsSpan(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
            throw new InvalidOperationException($"cannot advance {count} bytes: only {_buffer.Length - _written} were handed out");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Forgets what was written; keeps the buffer for reuse.</summary>
    public void Clear() => _written = 0;

    /// <summary>Makes at least <paramref name="sizeHint"/> (at least 1) bytes available after the written ones.</summary>
    public void EnsureFree(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        int wanted = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= wanted) return;

        long required = (long)_written + wanted;
        if (required > Array.MaxLength)
            throw new InvalidOperationException($"buffer would need {required} bytes, more than an array can hold");
        int capacity = (int)Math.Min(Math.Max(required, (long)_buffer.Length * 2), Array.MaxLength);

        byte[] grown = ArrayPool<byte>.Shared.Rent(capacity);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        if (buffer.Length == 0) return;
        _buffer = [];
        _written = 0;
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
