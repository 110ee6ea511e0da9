using BenchmarkDotNet.Attributes;
using Gregor.Client.Consumer;
using Gregor.Protocol.Compression;

namespace Gregor.Benchmarks;

/// <summary>
/// The consumer's per-record path on the consuming thread without the network: walk a Fetch response's records
/// for a partition batch by batch (framing, CRC check, decompression into the reused buffer, record parsing)
/// and take every record's key, value and timestamp in place. One operation is one record; what Consume then
/// allocates for the application (result, message, deserialized key and value) is outside it.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("HotPath")]
public class ConsumerDecodeBenchmarks : ConsumerDecodeBenchmarkBase
{
    [Params("none", "snappy", "lz4", "zstd")]
    public override string Compression { get; set; } = "none";
}

/// <summary>
/// The same with gzip, whose decompressor (System.IO.Compression) allocates per batch, so it stays outside the
/// zero-allocation gate; this shows what that costs per record.
/// </summary>
[MemoryDiagnoser]
public class ConsumerDecodeGzipBenchmarks : ConsumerDecodeBenchmarkBase
{
    [Params("gzip")]
    public override string Compression { get; set; } = "gzip";
}

public abstract class ConsumerDecodeBenchmarkBase
{
    private const int RecordSize = 100;

    private readonly RecordBatchDecoder _decoder = new(checkCrcs: true, maxDecompressedBytes: 64 << 20);
    private ReadOnlyMemory<byte> _records;
    private int _recordCount;

    public abstract string Compression { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (!CompressionCodec.TryParse(Compression, out var codec)) throw new ArgumentException("unknown codec " + Compression);
        var batches = Workload.BuildBatches(RecordSize, codec);
        // As a Fetch response holds them: batches back to back, offsets following on.
        var blob = new List<byte>();
        long offset = 0;
        foreach (var batch in batches)
        {
            var copy = (byte[])batch.Clone();
            Gregor.Protocol.Records.RecordBatchHeader.SetBaseOffset(copy, offset);
            offset = Gregor.Protocol.Records.RecordBatchHeader.LastOffset(copy) + 1;
            blob.AddRange(copy);
        }
        _records = blob.ToArray();
        _recordCount = Workload.RecordsPerOperation(RecordSize);
        if (DecodeAll() != _recordCount) throw new InvalidOperationException("the decoder did not return every record");
    }

    [GlobalCleanup]
    public void Cleanup() => _decoder.Dispose();

    [Benchmark(OperationsPerInvoke = Workload.BytesPerOperation / RecordSize)]
    public long DecodeAll()
    {
        long position = 0, checksum = 0;
        int at = 0, taken = 0;
        while (true)
        {
            var outcome = _decoder.Decode(_records, at, position, aborted: null);
            if (outcome == BatchOutcome.End) break;
            if (outcome == BatchOutcome.Corrupt) throw new InvalidOperationException(_decoder.ErrorReason);
            var section = _decoder.Section;
            while (_decoder.TryTake(out var slot))
            {
                checksum += section[slot.ValueStart] + section[slot.KeyStart + slot.KeyLength - 1] + slot.Timestamp;
                position = slot.Offset + 1;
                taken++;
            }
            at = _decoder.NextPosition;
        }
        return taken + (checksum & 0);
    }
}
