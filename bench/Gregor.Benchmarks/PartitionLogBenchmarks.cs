using BenchmarkDotNet.Attributes;
using Gregor.Storage;

namespace Gregor.Benchmarks;

/// <summary>
/// Appending ~1 MiB of batches to a partition log on disk (page cache, as Kafka's default flush
/// policy leaves it) and reading ~1 MiB back from it.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class PartitionLogBenchmarks
{
    private List<byte[]> _batches = [];
    private List<byte[]> _scratch = [];
    private string _directory = "";
    private PartitionLog _log = null!;
    private long _readOffset;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batches = Workload.BuildBatches(RecordSize);
        _scratch = _batches.Select(b => (byte[])b.Clone()).ToList();
        _directory = Path.Combine(Path.GetTempPath(), "gregor-bench-" + Guid.NewGuid().ToString("N"), "bench-0");
        Directory.CreateDirectory(_directory);
        // Small segments and a byte retention keep the benchmark's disk use bounded however long it runs.
        var config = LogConfig.Default with { SegmentBytes = 64 << 20, RetentionBytes = 256L << 20 };
        _log = PartitionLog.Open(_directory, config);
        for (int i = 0; i < 64; i++) Append();
        _log.UpdateHighWatermark(_log.LogEndOffset);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Close();
        Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);
    }

    [Benchmark]
    public long Append()
    {
        long last = 0;
        for (int i = 0; i < _batches.Count; i++)
        {
            // Append rewrites the header in place, so it gets its own copy of the bytes.
            _batches[i].CopyTo(_scratch[i], 0);
            last = _log.Append(_scratch[i]).LastOffset;
        }
        _log.ApplyRetention();
        return last;
    }

    [Benchmark]
    public long Read()
    {
        long remaining = Workload.BytesPerOperation;
        long next = _readOffset;
        while (remaining > 0)
        {
            if (next >= _log.HighWatermark || next < _log.LogStartOffset) next = _log.LogStartOffset;
            using var result = _log.Read(next, 256 * 1024, _log.HighWatermark);
            remaining -= result.Length;
            next = result.NextOffset;
        }
        _readOffset = next;
        return next;
    }
}
