using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Gregor.Protocol.Records;

namespace Gregor.Protocol.Primitives;

/// <summary>
/// Writes Kafka primitives into a span sized beforehand by the message's own size computation
/// (<see cref="ProtocolSize"/>), so encoding a message needs one buffer and no growth.
/// </summary>
public ref struct ProtocolWriter
{
    private readonly Span<byte> _span;
    private readonly DeferredRecordsList? _deferred;
    private int _position;

    public ProtocolWriter(Span<byte> destination)
    {
        _span = destination;
        _deferred = null;
        _position = 0;
    }

    /// <summary>
    /// A writer that leaves out the bytes of records backed by <see cref="DeferredRecords"/>: their length prefix is
    /// written, and <paramref name="deferred"/> notes where the bytes belong. The span holds only the inline bytes.
    /// </summary>
    public ProtocolWriter(Span<byte> destination, DeferredRecordsList deferred)
    {
        _span = destination;
        _deferred = deferred;
        _position = 0;
    }

    public readonly int Position => _position;

    private Span<byte> Advance(int count)
    {
        var slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }

    public void WriteBool(bool value) => Advance(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt8(sbyte value) => Advance(1)[0] = (byte)value;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Advance(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Advance(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Advance(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Advance(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Advance(8), value);

    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Advance(8), value);

    public void WriteUuid(KafkaUuid value) => value.Write(Advance(16));

    public void WriteUnsignedVarint(uint value) => _position += Varint.WriteUnsigned32(_span[_position..], value);

    public void WriteVarint(int value) => _position += Varint.WriteZigZag32(_span[_position..], value);

    public void WriteVarlong(long value) => _position += Varint.WriteZigZag64(_span[_position..], value);

    public void WriteString(string? value, bool compact)
    {
        if (value is null)
        {
            if (compact) WriteUnsignedVarint(0); else WriteInt16(-1);
            return;
        }
        int length = Encoding.UTF8.GetByteCount(value);
        if (compact) WriteUnsignedVarint((uint)length + 1);
        else
        {
            if (length > short.MaxValue) throw new ArgumentException($"string of {length} bytes is over the int16 limit of a classic string");
            WriteInt16((short)length);
        }
        Encoding.UTF8.GetBytes(value, Advance(length));
    }

    public void WriteBytes(ReadOnlySpan<byte> value, bool isNull, bool compact)
    {
        if (isNull)
        {
            if (compact) WriteUnsignedVarint(0); else WriteInt32(-1);
            return;
        }
        if (compact) WriteUnsignedVarint((uint)value.Length + 1); else WriteInt32(value.Length);
        value.CopyTo(Advance(value.Length));
    }

    /// <summary>A records field: its bytes inline, or (for deferred records, when this writer collects them) only its length.</summary>
    public void WriteRecords(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is { } records && _deferred is not null
            && MemoryMarshal.TryGetMemoryManager(records, out DeferredRecords? source, out int start, out int length))
        {
            if (compact) WriteUnsignedVarint((uint)length + 1); else WriteInt32(length);
            _deferred.Add(_position, source, start, length);
            return;
        }
        WriteBytes(value.HasValue ? value.Value.Span : default, !value.HasValue, compact);
    }

    public void WriteArrayLength(int count, bool isNull, bool compact)
    {
        if (isNull)
        {
            if (compact) WriteUnsignedVarint(0); else WriteInt32(-1);
            return;
        }
        if (compact) WriteUnsignedVarint((uint)count + 1); else WriteInt32(count);
    }

    public void WriteRaw(ReadOnlySpan<byte> value) => value.CopyTo(Advance(value.Length));
}
