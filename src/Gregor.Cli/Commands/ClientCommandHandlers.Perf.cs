using Gregor.Cli.Output;
using Gregor.Cli.Perf;
using Gregor.Client;
using Spectre.Console;

namespace Gregor.Cli.Commands;

internal sealed partial class ClientCommandHandlers
{
    /// <summary>The terminal to draw live progress on; null when standard output is not a terminal.</summary>
    public IAnsiConsole? Terminal { get; init; }

    public Task<int> PerfProduceAsync(PerfProduceArgs args, CancellationToken cancellationToken) => Guarded("perf produce", args.Target, async () =>
    {
        var config = ProducerConfigFor(args.Target, args.Acks, args.Compression, args.ProducerProperties);
        using var producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetKeySerializer(Serializers.ByteArray).SetValueSerializer(Serializers.ByteArray).Build();
        byte[] payload = new byte[args.RecordSize];
        new Random(42).NextBytes(payload);
        var run = new ProducePerfRun(producer);
        using var finished = new CancellationTokenSource();
        Task progress = Terminal is { } terminal && PerfProgress.Wanted(args.Target.Output, outputIsTerminal: true)
            ? PerfProgress.ShowAsync(terminal, run, args.NumRecords, args.Duration, args.RecordSize, finished.Token)
            : Task.CompletedTask;
        TimeSpan elapsed;
        ProcessCost cost;
        try
        {
            var before = ProcessSnapshot.Take();
            // The loop is synchronous and never yields (Produce blocks only when buffer.memory is full), so it gets a
            // thread of its own: on a thread-pool thread it would leave one fewer for the client's I/O and callbacks,
            // and on a two-core machine the pool starts with two.
            elapsed = await Task.Factory.StartNew(() => run.Run(args.Topic, payload, args.NumRecords, args.Duration, args.Throughput, args.WarmupRecords, cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            cost = ProcessSnapshot.Take().Since(before, run.Acknowledged + run.Failed);
        }
        finally
        {
            await finished.CancelAsync().ConfigureAwait(false);
            await progress.ConfigureAwait(false);
        }
        var latency = run.Latency.Summarize();
        // Throughput counts every record over the whole run; the latency figures only those after the warm-up.
        new ResultWriter(_out, args.Target.Output).Perf(new PerfReport("produce", run.Acknowledged, run.Acknowledged * (long)args.RecordSize,
            elapsed.TotalSeconds, run.Failed, latency.Mean / 1000.0, latency.P50 / 1000.0, latency.P95 / 1000.0, latency.P99 / 1000.0,
            latency.P999 / 1000.0, latency.Max / 1000.0) { Cost = cost, TimedRecords = latency.Count });
        if (run.Failed > 0)
        {
            await _error.WriteLineAsync($"gregor perf produce: {run.Failed} record(s) not delivered; first: {run.FirstError}").ConfigureAwait(false);
            return 1;
        }
        return 0;
    });
}
