using BenchmarkDotNet.Attributes;
using Gregor.Protocol.Records;

namespace Gregor.Benchmarks;

/// <summary>Encoding records into v2 batches, and validating and reading them back, ~1 MiB per operation.</summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[BenchmarkCategory("HotPath")]
public class RecordBatchBenchmarks
{
    private List<byte[]> _batches = [];
    private RecordBatchBuilder _builder = null!;
    private byte[] _value = [];
    private readonly RecordBatchValidationOptions _options = new();

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batches = Workload.BuildBatches(RecordSize);
        _builder = new RecordBatchBuilder(Workload.MaxBatchBytes + 1024);
        _value = Workload.Value(RecordSize);
    }

    [GlobalCleanup]
    public void Cleanup() => _builder.Dispose();

    [Benchmark]
    public int Encode()
    {
        Span<byte> key = stackalloc byte[Workload.KeyBytes];
        int records = Workload.RecordsPerOperation(RecordSize);
        int built = 0;
        for (int i = 0; i < records; i++)
        {
            if (_builder.Count > 0 && _builder.UncompressedSize + RecordSize + Workload.KeyBytes + 16 > Workload.MaxBatchBytes)
            {
                built += _builder.Build().Length;
                _builder.Reset();
            }
            Workload.WriteKey(key, i);
            _builder.Append(1_700_000_000_000 + i, key, _value);
        }
        built += _builder.Build().Length;
        _builder.Reset();
        return built;
    }

    [Benchmark]
    public long ValidateAndRead()
    {
        long checksum = 0;
        foreach (byte[] batch in _batches)
        {
            var result = RecordBatchValidator.Validate(batch, _options);
            if (!result.IsValid) throw new InvalidOperationException(result.ToString());
            RecordBatchReader.TryOpen(batch, out var reader);
            using (reader)
            {
                foreach (var record in reader)
                    checksum += record.Value.Length + record.Key.Length + record.OffsetDelta;
            }
        }
        return checksum;
    }
}
