using Spectre.Console;

namespace Gregor.Cli.Output;

/// <summary>The consumer's perf report: kafka-consumer-perf-test's figures, without the producer's latencies (none are measured).</summary>
internal sealed partial class ResultWriter
{
    public void PerfConsume(PerfReport report)
    {
        if (_format == Commands.OutputFormat.Json)
        {
            WriteJson(new { report.Kind, report.Records, report.Bytes, report.ElapsedSeconds, report.RecordsPerSecond, report.MegabytesPerSecond });
            return;
        }
        var table = new Table().AddColumns("Records", "MB", "Seconds", "Records/s", "MB/s");
        table.AddRow(Cell(report.Records), Number(report.Bytes / (1024.0 * 1024.0)), Number(report.ElapsedSeconds),
            Number(report.RecordsPerSecond, "F0"), Number(report.MegabytesPerSecond));
        Console().Write(table);
    }
}
