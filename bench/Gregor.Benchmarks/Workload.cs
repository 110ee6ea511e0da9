using Gregor.Protocol.Compression;
using Gregor.Protocol.Records;

namespace Gregor.Benchmarks;

/// <summary>
/// The data every throughput benchmark moves: ~1 MiB of record values per operation, as keyed
/// records in batches of at most 16 KiB (the Java producer's default batch.size).
/// </summary>
public static class Workload
{
    public const int BytesPerOperation = 1 << 20;

    public const int MaxBatchBytes = 16 * 1024;

    public const int KeyBytes = 16;

    public static int RecordsPerOperation(int recordSize) => BytesPerOperation / recordSize;

    /// <summary>Batches holding RecordsPerOperation records of recordSize-byte values.</summary>
    public static List<byte[]> BuildBatches(int recordSize, CompressionType compression = CompressionType.None)
    {
        var batches = new List<byte[]>();
        using var builder = new RecordBatchBuilder(MaxBatchBytes + 1024) { Compression = compression };
        Span<byte> key = stackalloc byte[KeyBytes];
        byte[] value = Value(recordSize);
        int records = RecordsPerOperation(recordSize);
        long timestamp = 1_700_000_000_000;
        for (int i = 0; i < records; i++)
        {
            if (builder.Count > 0 && builder.UncompressedSize + recordSize + KeyBytes + 16 > MaxBatchBytes)
            {
                batches.Add(builder.Build().ToArray());
                builder.Reset();
            }
            WriteKey(key, i);
            builder.Append(timestamp + i, key, value);
        }
        if (builder.Count > 0) batches.Add(builder.Build().ToArray());
        return batches;
    }

    public static byte[] Value(int size)
    {
        // Text-like values so compressed runs have something realistic to work on.
        var value = new byte[size];
        var random = new Random(size);
        for (int i = 0; i < size; i++) value[i] = (byte)("abcdefghijklmnopqrstuvwxyz {}:,\"0123456789"[random.Next(42)]);
        return value;
    }

    public static void WriteKey(Span<byte> key, int index)
    {
        key.Fill((byte)'k');
        System.Buffers.Text.Utf8Formatter.TryFormat(index, key[2..], out _);
    }
}
