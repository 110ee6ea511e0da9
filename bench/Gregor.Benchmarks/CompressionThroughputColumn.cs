using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Gregor.Benchmarks;

/// <summary>
/// MB/s of uncompressed data for the compression benchmarks, in either direction: every
/// operation compresses or restores <see cref="CompressionInput.Bytes"/> bytes.
/// </summary>
public sealed class CompressionThroughputColumn : IColumn
{
    public string Id => nameof(CompressionThroughputColumn);

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Megabytes (10^6) of uncompressed data compressed or restored per second (mean)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (summary[benchmarkCase]?.ResultStatistics is not { Mean: > 0 } stats)
            return "-";
        double seconds = stats.Mean / 1e9;
        return (CompressionInput.Bytes / seconds / 1e6).ToString("F0", CultureInfo.InvariantCulture);
    }
}
