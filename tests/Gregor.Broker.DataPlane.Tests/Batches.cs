using System.Text;
using Gregor.Protocol.Compression;
using Gregor.Protocol.Records;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>Record batches as a producer would send them, built with the protocol library's builder.</summary>
internal static class Batches
{
    public static byte[] Create(int records, long timestamp, string valuePrefix = "value", CompressionType compression = CompressionType.None,
        long producerId = -1, short producerEpoch = -1, int baseSequence = -1, bool transactional = false, int valueBytes = 0)
    {
        using var builder = new RecordBatchBuilder();
        builder.Compression = compression;
        builder.ProducerId = producerId;
        builder.ProducerEpoch = producerEpoch;
        builder.BaseSequence = baseSequence;
        builder.IsTransactional = transactional;
        for (int index = 0; index < records; index++)
        {
            byte[] value = valueBytes > 0 ? new byte[valueBytes] : Encoding.UTF8.GetBytes(valuePrefix + index);
            builder.Append(timestamp + index, Encoding.UTF8.GetBytes("key" + index), value);
        }
        return builder.Build().ToArray();
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];

    /// <summary>The values of every record in <paramref name="records"/> (whole batches back to back), with their offsets.</summary>
    public static List<(long Offset, string Value, long Timestamp)> Read(ReadOnlyMemory<byte> records)
    {
        var result = new List<(long, string, long)>();
        var batches = new RecordBatchEnumerator(records.Span);
        while (batches.MoveNext())
        {
            var opened = RecordBatchReader.TryOpen(batches.Current, out RecordBatchReader reader);
            Assert.True(opened.IsValid, opened.Message);
            using (reader)
            {
                while (reader.TryReadNext(out Gregor.Protocol.Records.Record record))
                    result.Add((record.Offset, Encoding.UTF8.GetString(record.Value.Span), record.Timestamp));
            }
        }
        Assert.True(batches.Error.IsValid, batches.Error.Message);
        return result;
    }

    /// <summary>A magic-1 message (what Kafka 0.10 clients send): offset, size, CRC32, magic, attributes, timestamp, key, value.</summary>
    public static byte[] LegacyMessageV1(long timestamp, string key, string value)
    {
        byte[] k = Encoding.UTF8.GetBytes(key), v = Encoding.UTF8.GetBytes(value);
        int bodyLength = 1 + 1 + 8 + 4 + k.Length + 4 + v.Length;
        var message = new byte[12 + 4 + bodyLength];
        var span = message.AsSpan();
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(span, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span[8..], 4 + bodyLength);
        int p = 16;
        span[p++] = 1; // magic
        span[p++] = 0; // attributes: no compression, create time
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(span[p..], timestamp);
        p += 8;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span[p..], k.Length);
        p += 4;
        k.CopyTo(span[p..]);
        p += k.Length;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(span[p..], v.Length);
        p += 4;
        v.CopyTo(span[p..]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(span[12..], Crc32Ieee.Compute(span[16..]));
        return message;
    }
}
