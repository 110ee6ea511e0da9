using System.Buffers.Binary;
using System.Text;

namespace Gregor.Protocol.Tests.Records;

/// <summary>
/// Writes record batches and legacy messages straight from the format description, with its own
/// varint and bitwise CRC code, independent of the production writer. Lets tests craft exact
/// (and exactly wrong) bytes and check the production code against the spec.
/// </summary>
internal static class SpecBytes
{
    public const int HeaderSize = 61;

    public static byte[] ZigZag(long value)
    {
        ulong v = (ulong)((value << 1) ^ (value >> 63));
        var bytes = new List<byte>();
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }
        bytes.Add((byte)v);
        return [.. bytes];
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] NullableField(byte[]? bytes) => bytes is null ? ZigZag(-1) : Concat(ZigZag(bytes.Length), bytes);

    /// <summary>A record body (everything after the length prefix).</summary>
    public static byte[] RecordBody(long timestampDelta, int offsetDelta, byte[]? key, byte[]? value, params (string Key, byte[]? Value)[] headers)
    {
        var parts = new List<byte[]> { new byte[] { 0 }, ZigZag(timestampDelta), ZigZag(offsetDelta), NullableField(key), NullableField(value), ZigZag(headers.Length) };
        foreach (var (k, v) in headers)
        {
            var keyBytes = Encoding.UTF8.GetBytes(k);
            parts.Add(ZigZag(keyBytes.Length));
            parts.Add(keyBytes);
            parts.Add(NullableField(v));
        }
        return Concat([.. parts]);
    }

    public static byte[] Record(long timestampDelta, int offsetDelta, byte[]? key, byte[]? value, params (string Key, byte[]? Value)[] headers)
    {
        var body = RecordBody(timestampDelta, offsetDelta, key, value, headers);
        return Concat(ZigZag(body.Length), body);
    }

    public static byte[] Batch(byte[] recordsSection, int count, int lastOffsetDelta, long baseOffset = 0, int partitionLeaderEpoch = -1,
        short attributes = 0, long baseTimestamp = 1000, long maxTimestamp = 1000, long producerId = -1, short producerEpoch = -1,
        int baseSequence = -1, byte magic = 2)
    {
        var batch = new byte[HeaderSize + recordsSection.Length];
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(0), baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - 12);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(12), partitionLeaderEpoch);
        batch[16] = magic;
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(27), baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(35), maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(43), producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(51), producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(53), baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), count);
        recordsSection.CopyTo(batch, HeaderSize);
        FixCrc(batch);
        return batch;
    }

    /// <summary>Recomputes the CRC32C over attributes..end after a test changed the bytes on purpose.</summary>
    public static void FixCrc(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C(batch.AsSpan(21)));

    /// <summary>A v0 (no timestamp) or v1 message with its log overhead.</summary>
    public static byte[] LegacyMessage(byte magic, long offset, byte attributes, long timestamp, byte[]? key, byte[]? value)
    {
        var body = new List<byte> { magic, attributes };
        if (magic == 1) body.AddRange(BigEndian(timestamp));
        body.AddRange(BigEndian(key is null ? -1 : key.Length));
        if (key is not null) body.AddRange(key);
        body.AddRange(BigEndian(value is null ? -1 : value.Length));
        if (value is not null) body.AddRange(value);
        var crc = Crc32([.. body]);
        return Concat(BigEndian(offset), BigEndian(body.Count + 4), BigEndian((int)crc), [.. body]);
    }

    /// <summary>A legacy message from its body (magic onwards), with a correct CRC and length.</summary>
    public static byte[] LegacyFramed(long offset, byte[] body) =>
        Concat(BigEndian(offset), BigEndian(body.Length + 4), BigEndian((int)Crc32(body)), body);

    public static byte[] BigEndian(long value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        return b;
    }

    public static byte[] BigEndian(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        return b;
    }

    /// <summary>Bitwise CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data) => BitwiseCrc(data, 0x82F63B78);

    /// <summary>Bitwise CRC-32 (IEEE, reflected polynomial 0xEDB88320).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data) => BitwiseCrc(data, 0xEDB88320);

    private static uint BitwiseCrc(ReadOnlySpan<byte> data, uint polynomial)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
        }
        return ~crc;
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
