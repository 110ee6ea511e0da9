using System.Text;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Records;

/// <summary>
/// The headers of one record, still encoded. Only built by the record parser after it has
/// checked every header length, so enumerating them cannot run past the record.
/// </summary>
public readonly ref struct RecordHeaders
{
    internal RecordHeaders(int count, ReadOnlySpan<byte> encoded)
    {
        Count = count;
        Encoded = encoded;
    }

    public int Count { get; }

    /// <summary>The headers as encoded, without the count varint (for copying records unchanged).</summary>
    public ReadOnlySpan<byte> Encoded { get; }

    public Enumerator GetEnumerator() => new(Count, Encoded);

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _encoded;
        private int _remaining;
        private int _position;

        internal Enumerator(int count, ReadOnlySpan<byte> encoded)
        {
            _encoded = encoded;
            _remaining = count;
            _position = 0;
            Current = default;
        }

        public RecordHeader Current { get; private set; }

        public bool MoveNext()
        {
            if (_remaining == 0) return false;
            _remaining--;
            _position += Varint.TryReadZigZag32(_encoded[_position..], out int keyLength);
            var key = _encoded.Slice(_position, keyLength);
            _position += keyLength;
            _position += Varint.TryReadZigZag32(_encoded[_position..], out int valueLength);
            NullableBytes value = NullableBytes.Null;
            if (valueLength >= 0)
            {
                value = _encoded.Slice(_position, valueLength);
                _position += valueLength;
            }
            Current = new RecordHeader(key, value);
            return true;
        }
    }
}

/// <summary>One record header: a UTF-8 key and a value that may be null.</summary>
public readonly ref struct RecordHeader
{
    internal RecordHeader(ReadOnlySpan<byte> key, NullableBytes value)
    {
        Key = key;
        Value = value;
    }

    /// <summary>The key's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Key { get; }

    public NullableBytes Value { get; }

    /// <summary>The key decoded; allocates.</summary>
    public string KeyString => Encoding.UTF8.GetString(Key);
}
