using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Gregor.Protocol.Primitives;

/// <summary>
/// Reads Kafka primitives from one request or response frame. Every length read from the wire
/// is checked against the bytes that remain before anything is allocated for it, so a frame can
/// never make the reader allocate more than a small multiple of its own size. A reader may also
/// be given a budget of array elements (every element of every array, nested ones included): a
/// count that would take it past the budget is refused before its elements are allocated, so a
/// small frame naming millions of tiny entries costs no more than the budget allows.
/// Malformed input throws <see cref="MalformedMessageException"/>; an exhausted budget
/// <see cref="ElementLimitExceededException"/>.
/// </summary>
public ref struct ProtocolReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private readonly int _maxElements;
    private int _position;
    private long _elements;

    /// <summary>A reader with no element budget (bounded by the frame's bytes alone).</summary>
    public ProtocolReader(ReadOnlyMemory<byte> memory)
        : this(memory, int.MaxValue)
    {
    }

    /// <summary>A reader that refuses to decode more than <paramref name="maxElements"/> array elements in all.</summary>
    public ProtocolReader(ReadOnlyMemory<byte> memory, int maxElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxElements);
        _memory = memory;
        _span = memory.Span;
        _maxElements = maxElements;
        _position = 0;
        _elements = 0;
    }

    public readonly int Position => _position;

    /// <summary>Array elements counted so far, over every array read (what the element budget is charged with).</summary>
    public readonly long ElementsRead => _elements;

    public readonly int MaxElements => _maxElements;

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
        ReadOnlySpan<byte> utf8 = Take(length);
        return Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : DecodeReplacingInvalid(_memory.Slice(_position - length, length));
    }

    /// <summary>
    /// Invalid UTF-8 becomes U+FFFD, as Kafka's decoder does. Encoding.UTF8 would allocate fallback
    /// buffers for it on every call; this allocates the string alone, so what a string costs stays
    /// within the bound the generated codecs state.
    /// </summary>
    private static string DecodeReplacingInvalid(ReadOnlyMemory<byte> utf8)
    {
        Span<char> chunk = stackalloc char[256];
        ReadOnlySpan<byte> rest = utf8.Span;
        int chars = 0;
        while (true)
        {
            OperationStatus status = Utf8.ToUtf16(rest, chunk, out int read, out int written, replaceInvalidSequences: true);
            chars += written;
            rest = rest[read..];
            if (status == OperationStatus.Done) break;
        }
        return string.Create(chars, utf8, static (destination, source) =>
            Utf8.ToUtf16(source.Span, destination, out _, out _, replaceInvalidSequences: true));
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
    /// could still follow, so a forged count cannot make the caller allocate a huge array, then
    /// charges the count to the element budget. Returns -1 for a null array.
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
        _elements += count;
        if (_elements > _maxElements)
            throw new ElementLimitExceededException(_maxElements, _elements, _position);
        return count;
    }

    /// <summary>
    /// Reads the tag of the next tagged field. Tags must rise strictly within one section (KIP-482),
    /// which also means a known field is read at most once per struct, so what a section can make
    /// the decoder allocate is fixed by the schema rather than by the number of repeats sent.
    /// </summary>
    public uint ReadTaggedFieldTag(long previousTag)
    {
        uint tag = ReadUnsignedVarint();
        if (tag <= previousTag)
            throw new MalformedMessageException($"tagged field {tag} at position {_position} does not follow tag {previousTag} in ascending order");
        return tag;
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
