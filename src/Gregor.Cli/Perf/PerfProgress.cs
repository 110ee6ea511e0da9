using System.Diagnostics;
using System.Globalization;
using Gregor.Cli.Commands;
using Spectre.Console;

namespace Gregor.Cli.Perf;

/// <summary>
/// The live progress bar of a perf run: records sent and acknowledged, and the current rate, redrawn a few times a
/// second from the run's counters (the sending loop is never touched). Only for a person at a terminal: not when
/// output goes to a file or a pipe, nor with <c>--output json</c>, whose output a program reads.
/// </summary>
internal static class PerfProgress
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    /// <summary>Whether to draw progress: table output to a terminal.</summary>
    public static bool Wanted(OutputFormat format, bool outputIsTerminal) => format == OutputFormat.Table && outputIsTerminal;

    /// <summary>Draws until <paramref name="finished"/> is cancelled, then shows the final counts and returns.</summary>
    public static Task ShowAsync(IAnsiConsole console, ProducePerfRun run, long? count, TimeSpan? duration, int recordSize, CancellationToken finished)
    {
        double goal = count ?? duration!.Value.TotalSeconds;
        long start = Stopwatch.GetTimestamp();
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("starting", maxValue: goal);
                long lastDone = 0;
                long lastAt = start;
                while (true)
                {
                    bool last = finished.IsCancellationRequested;
                    long now = Stopwatch.GetTimestamp();
                    long done = run.Acknowledged + run.Failed;
                    double seconds = Stopwatch.GetElapsedTime(lastAt, now).TotalSeconds;
                    double rate = seconds > 0 ? (done - lastDone) / seconds : 0;
                    (lastDone, lastAt) = (done, now);
                    task.Value = count is not null ? done : Math.Min(goal, Stopwatch.GetElapsedTime(start, now).TotalSeconds);
                    task.Description = string.Create(CultureInfo.InvariantCulture,
                        $"{run.Sent:N0} sent, {run.Acknowledged:N0} acked{(run.Failed > 0 ? $", {run.Failed:N0} failed" : "")}, {rate:N0} records/s, {rate * recordSize / (1024 * 1024):F1} MB/s");
                    if (last)
                    {
                        task.StopTask();
                        return;
                    }
                    try { await Task.Delay(Period, finished).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
                }
            });
    }
}
