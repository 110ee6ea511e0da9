using BenchmarkDotNet.Attributes;
using Gregor.Storage;
using Microsoft.Win32.SafeHandles;

namespace Gregor.Benchmarks;

/// <summary>
/// Appending ~1 MiB of batches to a partition log on disk (page cache, as Kafka's default flush policy leaves
/// it) and reading ~1 MiB back from it, against the baseline of writing the same bytes with plain positional
/// writes to one file. Kafka's default 1 GiB segments, with retention.bytes bounding the disk used. The
/// allocation gate's 1024 operations of a measured run cross a segment roll: what a roll allocates (~5 KB,
/// once per GiB appended) shows there as ~5 B per operation, within its budget.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[BenchmarkCategory("HotPath")]
public class PartitionLogBenchmarks
{
    private const long RetentionBytes = 2L << 30;

    private List<byte[]> _batches = [];
    private string _directory = "";
    private PartitionLog _log = null!;
    private long _readOffset;
    private SafeFileHandle? _raw;
    private long _rawPosition;
    private int _rawFiles;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batches = Workload.BuildBatches(RecordSize);
        _directory = Path.Combine(Path.GetTempPath(), "gregor-bench-" + Guid.NewGuid().ToString("N"), "bench-0");
        Directory.CreateDirectory(_directory);
        // The workload's timestamps are in the past: retention.ms off, so only retention.bytes deletes segments.
        var config = LogConfig.Default with { RetentionBytes = RetentionBytes, RetentionMs = -1, FileDeleteDelayMs = 0 };
        _log = PartitionLog.Open(_directory, config);
        for (int i = 0; i < 64; i++) Append();
        _log.UpdateHighWatermark(_log.LogEndOffset);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw?.Dispose();
        _log.Close();
        Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);
    }

    /// <summary>What the disk and page cache give: the same batches written back to back with positional writes, a fresh file per segment's worth.</summary>
    [Benchmark]
    public long RawWrite()
    {
        for (int i = 0; i < _batches.Count; i++)
        {
            byte[] batch = _batches[i];
            if (_raw is null || _rawPosition + batch.Length > LogConfig.Default.SegmentBytes)
                StartRawFile();
            RandomAccess.Write(_raw!, batch, _rawPosition);
            _rawPosition += batch.Length;
        }
        return _rawPosition;
    }

    [Benchmark]
    public long Append()
    {
        long last = 0;
        // Append rewrites only each header's base offset (outside the CRC), so the same bytes can go in again.
        for (int i = 0; i < _batches.Count; i++)
            last = _log.Append(_batches[i]).LastOffset;
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
            using LogReadResult result = _log.Read(next, 256 * 1024, _log.HighWatermark);
            remaining -= result.Length;
            next = result.NextOffset;
        }
        _readOffset = next;
        return next;
    }

    private void StartRawFile()
    {
        string previous = Path.Combine(_directory, $"raw-{_rawFiles - 1}.bin");
        _raw?.Dispose();
        if (_rawFiles > 0) File.Delete(previous);
        _raw = File.OpenHandle(Path.Combine(_directory, $"raw-{_rawFiles++}.bin"), FileMode.Create, FileAccess.ReadWrite);
        _rawPosition = 0;
    }
}
