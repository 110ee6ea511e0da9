using BenchmarkDotNet.Configs;

namespace Gregor.Benchmarks;

/// <summary>Adds the MB/s column to the default summary.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(ThroughputColumn.RecordValues);
}
