using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Gregor.Protocol.Primitives;

/// <summary>
/// Reads Kafka primitives from one request or response frame. Every length read from the wire
/// is checked against the bytes that remain before anything is allocated for it, so a frame can
/// never make the reader allocate more than a small multiple of its own size.
/// Malformed input throws <see cref="MalformedMessageException"/>.
/// </summary>
public ref struct ProtocolReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public ProtocolReader(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
        _span = memory.Span;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _span.Length - _position;

    public readonly int Length => _span.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_span.Length - _position))
            throw Truncated(count);
        var slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly MalformedMessageException Truncated(int wanted) =>
        new($"truncated: wanted {wanted} bytes at position {_position}, {_span.Length - _position} remain");

    public bool ReadBool()
    {
        byte b = Take(1)[0];
        return b != 0;
    }

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public KafkaUuid ReadUuid() => KafkaUuid.Read(Take(16));

    public uint ReadUnsignedVarint()
    {
        int n = Varint.TryReadUnsigned32(_span[_position..], out uint value);
        if (n == 0) throw Truncated(1);
        if (n < 0) throw new MalformedMessageException($"varint longer than 5 bytes at position {_position}");
        _position += n;
        return value;
    }

    public int ReadVarint() => Varint.DecodeZigZag(ReadUnsignedVarint());

    public long ReadVarlong()
    {
        int n = Varint.TryReadUnsigned64(_span[_position..], out ulong value);
        if (n == 0) throw Truncated(1);
        if (n < 0) throw new MalformedMessageException($"varlong longer than 10 bytes at position {_position}");
        _position += n;
        return Varint.DecodeZigZag(value);
    }

    /// <summary>Classic (int16 length) or compact (unsigned varint length+1) string; -1 / 0 mean null.</summary>
    public string? ReadString(bool compact, bool nullable)
    {
        int length = compact ? (int)ReadUnsignedVarintBounded() - 1 : ReadInt16();
        if (length < 0)
        {
            if (length == -1 && nullable) return null;
            throw new MalformedMessageException($"null or negative string length {length} at position {_position} where a string is required");
        }
        // Kafka caps strings at 32767 bytes in both forms; the compact form could claim more.
        if (length > short.MaxValue)
            throw new MalformedMessageException($"string of {length} bytes at position {_position} is over the 32767-byte limit");
        return Encoding.UTF8.GetString(Take(length));
    }

    public string ReadRequiredString(bool compact) => ReadString(compact, nullable: false)!;

    /// <summary>Classic (int32 length) or compact bytes, copied out of the frame.</summary>
    public byte[]? ReadBytes(bool compact, bool nullable)
    {
        int length = ReadBytesLength(compact);
        if (length < 0)
        {
            if (length == -1 && nullable) return null;
            throw new MalformedMessageException($"null or negative bytes length {length} at position {_position} where bytes are required");
        }
        return Take(length).ToArray();
    }

    /// <summary>A records field: a slice of the frame, not a copy (batches are stored as received).</summary>
    public ReadOnlyMemory<byte>? ReadRecords(bool compact)
    {
        int length = ReadBytesLength(compact);
        if (length < 0)
        {
            if (length == -1) return null;
            throw new MalformedMessageException($"negative records length {length} at position {_position}");
        }
        Take(length);
        return _memory.Slice(_position - length, length);
    }

    private int ReadBytesLength(bool compact) => compact ? (int)ReadUnsignedVarintBounded() - 1 : ReadInt32();

    private uint ReadUnsignedVarintBounded()
    {
        uint value = ReadUnsignedVarint();
        if (value > int.MaxValue) throw new MalformedMessageException($"length {value} over the limit at position {_position}");
        return value;
    }

    /// <summary>
    /// Reads an array length and checks that <paramref name="minElementSize"/> bytes per element
    /// could still follow, so a forged count cannot make the caller allocate a huge array.
    /// Returns -1 for a null array.
    /// </summary>
    public int ReadArrayLength(bool compact, bool nullable, int minElementSize)
    {
        int count = compact ? (int)ReadUnsignedVarintBounded() - 1 : ReadInt32();
        if (count < 0)
        {
            if (count == -1 && nullable) return -1;
            throw new MalformedMessageException($"null or negative array length {count} at position {_position} where an array is required");
        }
        if ((long)count * Math.Max(1, minElementSize) > Remaining)
            throw new MalformedMessageException($"array of {count} elements cannot fit in the {Remaining} bytes that remain at position {_position}");
        return count;
    }

    /// <summary>Reads the count of a tagged-field section, bounded by the bytes that remain (each field takes at least 2).</summary>
    public int ReadTaggedFieldCount()
    {
        uint count = ReadUnsignedVarint();
        if (count > (uint)Remaining / 2)
            throw new MalformedMessageException($"{count} tagged fields cannot fit in the {Remaining} bytes that remain");
        return (int)count;
    }

    /// <summary>Reads a tagged field's size and checks it fits in what remains.</summary>
    public int ReadTaggedFieldSize()
    {
        uint size = ReadUnsignedVarint();
        if (size > (uint)Remaining)
            throw new MalformedMessageException($"tagged field of {size} bytes overruns the frame at position {_position}");
        return (int)size;
    }

    public void Skip(int count) => Take(count);

    /// <summary>Checks that a tagged field's reader consumed exactly the bytes its size said.</summary>
    public readonly void ExpectPosition(int expected, int tag)
    {
        if (_position != expected)
            throw new MalformedMessageException($"tagged field {tag} declared to end at {expected} but its value ended at {_position}");
    }
}
