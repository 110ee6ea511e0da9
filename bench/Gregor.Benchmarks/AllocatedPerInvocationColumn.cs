using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Gregor.Benchmarks;

/// <summary>
/// Bytes allocated per invocation of the benchmark method, unrounded: the memory diagnoser's total over the
/// measured invocations divided by their number. Its own Allocated column is per operation, which for a
/// benchmark of thousands of records per invocation (OperationsPerInvoke) rounds a per-invocation allocation
/// away, and it reports 0 for any total under the allocation quantum. The allocation gate reads this column.
/// </summary>
public sealed class AllocatedPerInvocationColumn : IColumn
{
    public static AllocatedPerInvocationColumn Instance { get; } = new();

    public string Id => nameof(AllocatedPerInvocationColumn);

    public string ColumnName => "AllocatedPerInvocation";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Managed bytes allocated per invocation of the method (all its operations), unrounded; - when nothing was measured";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        // A benchmark that threw or did not build has no GC statistics: "-", which the gate counts as a failure.
        if (report is null || !report.Success || report.GcStats.TotalOperations <= 0
            || report.GcStats.GetTotalAllocatedBytes(excludeAllocationQuantumSideEffects: false) is not long total)
        {
            return "-";
        }
        double invocations = (double)report.GcStats.TotalOperations / benchmarkCase.Descriptor.OperationsPerInvoke;
        return (total / invocations).ToString("F2", CultureInfo.InvariantCulture);
    }
}
