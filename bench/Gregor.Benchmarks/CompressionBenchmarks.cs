using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gregor.Protocol.Compression;

namespace Gregor.Benchmarks;

/// <summary>
/// Each codec compressing and restoring 1 MiB of a records section, into buffers reused across
/// operations, so the allocation column shows what a call itself costs.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CompressionBenchmarksConfig))]
public class CompressionBenchmarks
{
    private byte[] input = [];
    private byte[] compressed = [];
    private readonly ArrayBufferWriter<byte> output = new(2 * CompressionInput.Bytes);

    [Params(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd)]
    public CompressionType Codec { get; set; }

    /// <summary>Record value size in bytes.</summary>
    [Params(100, 1024)]
    public int ValueSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        input = CompressionInput.RecordsSection(ValueSize);
        output.ResetWrittenCount();
        CompressionCodec.Compress(Codec, input, output);
        compressed = output.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int Compress()
    {
        output.ResetWrittenCount();
        CompressionCodec.Compress(Codec, input, output);
        return output.WrittenCount;
    }

    [Benchmark]
    public int Decompress()
    {
        output.ResetWrittenCount();
        CompressionCodec.Decompress(Codec, compressed, output, CompressionInput.Bytes);
        return output.WrittenCount;
    }
}

/// <summary>Adds the MB/s and ratio columns for <see cref="CompressionBenchmarks"/>.</summary>
public sealed class CompressionBenchmarksConfig : ManualConfig
{
    public CompressionBenchmarksConfig()
    {
        AddColumn(new ThroughputColumn(CompressionInput.Bytes, "Megabytes (10^6) of uncompressed data compressed or restored per second (mean)"), new CompressionRatioColumn());
    }
}
