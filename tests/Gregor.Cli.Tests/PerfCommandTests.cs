using Gregor.Cli.Commands;
using Gregor.Client.Tests.Integration;
using Spectre.Console;

namespace Gregor.Cli.Tests;

/// <summary>
/// gregor perf produce with the real handlers against a broker in this process. Run alone: they allocate hard
/// enough to set off collections that would disturb other tests' allocation counts on their own threads.
/// </summary>
[Collection(nameof(PerfCommandTests))]
public sealed class PerfCommandTests
{
    [Fact]
    public async Task Perf_produce_delivers_every_record_and_reports_rates_latencies_and_what_the_process_spent()
    {
        await using var broker = await ClientTestBroker.StartAsync("auto.create.topics.enable=false");
        string b = broker.Bootstrap;
        (await CliRun.RunAsync(b, "topic", "create", "perf", "--partitions", "3")).AssertOk();

        var report = (await CliRun.RunAsync(b, "perf", "produce", "perf", "--num-records", "5000", "--record-size", "200", "--acks", "1",
            "--producer-props", "linger.ms=2", "-o", "json")).Json();

        Assert.Equal(5000, report.GetProperty("records").GetInt64());
        Assert.Equal(5000, report.GetProperty("timedRecords").GetInt64());
        Assert.Equal(1_000_000, report.GetProperty("bytes").GetInt64());
        Assert.Equal(0, report.GetProperty("failed").GetInt64());
        Assert.True(report.GetProperty("recordsPerSecond").GetDouble() > 0);
        double[] percentiles = [.. new[] { "p50Ms", "p95Ms", "p99Ms", "p999Ms", "maxMs" }.Select(p => report.GetProperty(p).GetDouble())];
        Assert.True(percentiles[0] > 0);
        Assert.Equal(percentiles.Order(), percentiles);
        // The process figures are measured, not made up: allocation and CPU are positive, collections counted.
        Assert.True(report.GetProperty("allocatedBytes").GetInt64() > 0);
        Assert.Equal(report.GetProperty("allocatedBytes").GetInt64() / 5000.0, report.GetProperty("allocatedBytesPerRecord").GetDouble(), 6);
        Assert.True(report.GetProperty("cpuSeconds").GetDouble() > 0);
        Assert.True(report.GetProperty("gen0Collections").GetInt32() >= report.GetProperty("gen1Collections").GetInt32());

        // Every record reached the log.
        var offsets = (await CliRun.RunAsync(b, "offsets", "perf", "-o", "json")).Json();
        Assert.Equal(5000, offsets.EnumerateArray().Sum(p => p.GetProperty("latest").GetInt64() - p.GetProperty("earliest").GetInt64()));
    }

    [Fact]
    public async Task Perf_produce_leaves_the_warm_up_out_of_the_latency_figures_but_sends_and_counts_it()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        var report = (await CliRun.RunAsync(broker.Bootstrap, "perf", "produce", "warm", "--num-records", "3000", "--warmup-records", "1000",
            "--acks", "1", "-o", "json")).Json();
        Assert.Equal(3000, report.GetProperty("records").GetInt64());
        Assert.Equal(2000, report.GetProperty("timedRecords").GetInt64());
        Assert.Equal(0, report.GetProperty("failed").GetInt64());
        var offsets = (await CliRun.RunAsync(broker.Bootstrap, "offsets", "warm", "-o", "json")).Json();
        Assert.Equal(3000, offsets.EnumerateArray().Sum(p => p.GetProperty("latest").GetInt64() - p.GetProperty("earliest").GetInt64()));
    }

    [Fact]
    public async Task Perf_produce_for_a_duration_stops_in_time_and_keeps_to_the_target_rate()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        var run = await CliRun.RunAsync(broker.Bootstrap, "perf", "produce", "timed", "--duration", "1500ms", "--throughput", "1000", "--acks", "1");
        run.AssertOk();
        Assert.Contains("Records/s", run.Out, StringComparison.Ordinal);
        Assert.Contains("B allocated per record", run.Out, StringComparison.Ordinal);

        var report = (await CliRun.RunAsync(broker.Bootstrap, "perf", "produce", "timed", "--duration", "1500ms", "--throughput", "1000",
            "--acks", "1", "-o", "json")).Json();
        double seconds = report.GetProperty("elapsedSeconds").GetDouble();
        long records = report.GetProperty("records").GetInt64();
        Assert.InRange(seconds, 1.5, 30);
        // 1000 records/s for 1.5 s: never ahead of the rate (the throttle), and not far behind (the loop kept sending).
        Assert.InRange(records, 500, (1000 * seconds) + 1);
    }

    [Fact]
    public async Task Progress_is_drawn_on_a_terminal_for_tables_and_never_with_json()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        var terminal = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(terminal),
        });

        async Task<int> RunAsync(params string[] args)
        {
            var handlers = new ClientCommandHandlers(new StringWriter(), new StringWriter(), TextReader.Null) { Terminal = console };
            return await GregorCli.RunAsync([.. args, "--bootstrap", broker.Bootstrap], handlers, new StringWriter(), new StringWriter());
        }

        Assert.Equal(0, await RunAsync("perf", "produce", "quiet", "--num-records", "2000", "--acks", "1", "-o", "json"));
        Assert.Equal("", terminal.ToString());

        Assert.Equal(0, await RunAsync("perf", "produce", "shown", "--num-records", "2000", "--acks", "1"));
        Assert.Contains("2,000 acked", terminal.ToString(), StringComparison.Ordinal);
        Assert.Contains("100%", terminal.ToString(), StringComparison.Ordinal);
    }
}

[CollectionDefinition(nameof(PerfCommandTests), DisableParallelization = true)]
public sealed class PerfCommandTestsCollection;
