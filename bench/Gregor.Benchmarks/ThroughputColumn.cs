using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Gregor.Benchmarks;

/// <summary>
/// MB/s for benchmarks whose every operation moves a known number of bytes, so throughput can be
/// read next to the disk's own bandwidth.
/// </summary>
public sealed class ThroughputColumn(double bytesPerOperation, string legend) : IColumn
{
    /// <summary>The record batch and log benchmarks: <see cref="Workload.BytesPerOperation"/> of record values per operation.</summary>
    public static ThroughputColumn RecordValues { get; } = new(Workload.BytesPerOperation, "Megabytes (10^6) of record values processed per second (mean)");

    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (summary[benchmarkCase]?.ResultStatistics is not { Mean: > 0 } stats) return "-";
        double seconds = stats.Mean / 1e9;
        return (bytesPerOperation / seconds / 1e6).ToString("F0", CultureInfo.InvariantCulture);
    }
}
