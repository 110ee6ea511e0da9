using System.Buffers;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Gregor.Protocol.Compression;

namespace Gregor.Benchmarks;

/// <summary>
/// Uncompressed size over compressed size for a case's codec and input, computed again in the
/// reporting process (the input is deterministic), so speed can be read next to what it buys.
/// </summary>
public sealed class CompressionRatioColumn : IColumn
{
    public string Id => nameof(CompressionRatioColumn);

    public string ColumnName => "Ratio";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Uncompressed bytes per compressed byte for this codec and input";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Parameters[nameof(CompressionBenchmarks.Codec)] is not CompressionType codec
            || benchmarkCase.Parameters[nameof(CompressionBenchmarks.ValueSize)] is not int valueSize)
            return "-";
        byte[] input = CompressionInput.RecordsSection(valueSize);
        var output = new ArrayBufferWriter<byte>();
        CompressionCodec.Compress(codec, input, output);
        return ((double)input.Length / output.WrittenCount).ToString("F2", CultureInfo.InvariantCulture);
    }
}
