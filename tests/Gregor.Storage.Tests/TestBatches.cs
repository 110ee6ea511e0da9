using System.Buffers.Binary;
using System.Text;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;

namespace Gregor.Storage.Tests;

/// <summary>One record for a test batch; null key or value as Kafka allows (a null value is a tombstone).</summary>
internal readonly record struct TestRecord(byte[]? Key, byte[]? Value, long Timestamp)
{
    public static TestRecord Of(string? key, string? value, long timestamp) =>
        new(key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value), timestamp);
}

/// <summary>
/// Writes uncompressed v2 record batches for tests (header, varint records, CRC32C), the way a producer would
/// send them: base offset 0, no leader epoch, no producer id.
/// </summary>
internal static class TestBatches
{
    public static byte[] Batch(IReadOnlyList<TestRecord> records, RecordBatchAttributes attributes = RecordBatchAttributes.None)
    {
        long baseTimestamp = records.Count == 0 ? -1 : records.Min(r => r.Timestamp);
        long maxTimestamp = records.Count == 0 ? -1 : records.Max(r => r.Timestamp);
        var body = new List<byte>();
        Span<byte> scratch = stackalloc byte[10];
        for (int i = 0; i < records.Count; i++)
        {
            var record = new List<byte> { 0 };
            AppendZigZag64(record, records[i].Timestamp - baseTimestamp, scratch);
            AppendZigZag64(record, i, scratch);
            AppendBytes(record, records[i].Key, scratch);
            AppendBytes(record, records[i].Value, scratch);
            AppendZigZag64(record, 0, scratch);
            AppendZigZag64(body, record.Count, scratch);
            body.AddRange(record);
        }
        byte[] batch = new byte[RecordBatchHeader.Size + body.Count];
        Span<byte> header = batch;
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.BaseOffsetOffset..], 0);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..], batch.Length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.PartitionLeaderEpochOffset..], RecordBatchHeader.NoPartitionLeaderEpoch);
        header[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(header[RecordBatchHeader.AttributesOffset..], (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.LastOffsetDeltaOffset..], records.Count - 1);
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.BaseTimestampOffset..], baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.ProducerIdOffset..], RecordBatchHeader.NoProducerId);
        BinaryPrimitives.WriteInt16BigEndian(header[RecordBatchHeader.ProducerEpochOffset..], RecordBatchHeader.NoProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BaseSequenceOffset..], RecordBatchHeader.NoSequence);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.RecordsCountOffset..], records.Count);
        body.CopyTo(batch, RecordBatchHeader.Size);
        BinaryPrimitives.WriteUInt32BigEndian(header[RecordBatchHeader.CrcOffset..], RecordBatchHeader.ComputeCrc(batch));
        return batch;
    }

    /// <summary>A batch of <paramref name="count"/> records with values of <paramref name="valueBytes"/> bytes, timestamps from <paramref name="timestamp"/>.</summary>
    public static byte[] Simple(int count, long timestamp, int valueBytes = 10, string keyPrefix = "k")
    {
        var records = new TestRecord[count];
        for (int i = 0; i < count; i++)
        {
            byte[] value = new byte[valueBytes];
            value.AsSpan().Fill((byte)('a' + i % 26));
            records[i] = new TestRecord(Encoding.UTF8.GetBytes(keyPrefix + i), value, timestamp + i);
        }
        return Batch(records);
    }

    public static byte[] Concat(params byte[][] batches)
    {
        byte[] all = new byte[batches.Sum(b => b.Length)];
        int position = 0;
        foreach (byte[] batch in batches)
        {
            batch.CopyTo(all, position);
            position += batch.Length;
        }
        return all;
    }

    /// <summary>Headers of the batches in a blob, in order.</summary>
    public static List<BatchInfo> Headers(ReadOnlySpan<byte> blob)
    {
        var headers = new List<BatchInfo>();
        int position = 0;
        while (position < blob.Length)
        {
            BatchInfo info = BatchInfo.Parse(blob[position..], position);
            headers.Add(info);
            position += info.Size;
        }
        return headers;
    }

    private static void AppendZigZag64(List<byte> target, long value, Span<byte> scratch)
    {
        int written = Varint.WriteZigZag64(scratch, value);
        for (int i = 0; i < written; i++)
            target.Add(scratch[i]);
    }

    private static void AppendBytes(List<byte> target, byte[]? bytes, Span<byte> scratch)
    {
        if (bytes is null)
        {
            AppendZigZag64(target, -1, scratch);
            return;
        }
        AppendZigZag64(target, bytes.Length, scratch);
        target.AddRange(bytes);
    }
}

/// <summary>Batches built with the records library's builder, for compressed batches.</summary>
internal static class BuiltBatches
{
    public static byte[] Compressed(Gregor.Protocol.Compression.CompressionType compression, IReadOnlyList<TestRecord> records)
    {
        using var builder = new RecordBatchBuilder { Compression = compression };
        foreach (TestRecord record in records)
            builder.Append(record.Timestamp, record.Key, record.Value);
        return builder.Build().ToArray();
    }
}
