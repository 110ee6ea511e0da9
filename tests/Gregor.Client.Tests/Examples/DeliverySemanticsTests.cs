using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gregor.Client.Tests.Integration;
using Xunit.Abstractions;
using static Gregor.Client.Tests.Integration.ConsumerTestSupport;

namespace Gregor.Client.Tests.Examples;

/// <summary>
/// Runs the examples of examples/ as processes against an in-process broker and kills them (SIGKILL, from inside,
/// at the exact point) where each guarantee is tested: at-most-once loses the record it committed but did not
/// process, at-least-once processes again the record it processed but did not commit, effectively-once does
/// neither, whether it dies before or after its atomic write.
/// </summary>
public sealed class DeliverySemanticsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("gregor-examples-").FullName;

    private static readonly string[] BrokerSettings =
        ["group.initial.rebalance.delay.ms=0", "auto.create.topics.enable=false", "group.min.session.timeout.ms=1000"];

    private const string Topic = "deposits";
    private const int Partitions = 2;
    private const int PerPartition = 10;

    /// <summary>20 deposits over 2 partitions: key an account, value an amount (record i deposits i + 1).</summary>
    private static async Task<ClientTestBroker> BrokerWithDepositsAsync()
    {
        var broker = await ClientTestBroker.StartAsync(BrokerSettings);
        await CreateTopicAsync(broker, Topic, Partitions);
        for (int p = 0; p < Partitions; p++)
        {
            await ProduceAsync(broker, Topic, p, PerPartition, first: p * PerPartition, message: i => new Message<string, string>
            {
                Key = "account-" + (i % 3),
                Value = (i + 1).ToString(CultureInfo.InvariantCulture),
            });
        }
        return broker;
    }

    [Fact]
    public async Task At_most_once_loses_the_record_that_was_committed_but_not_processed()
    {
        await using var broker = await BrokerWithDepositsAsync();
        string ledger = Scratch("at-most-once.ledger");
        var crash = await RunAsync("AtMostOnce", broker, ledger, "--crash-at", "after-commit:5");
        var lost = CrashedAt(crash, "after-commit");
        Assert.Equal(4, Lines(ledger).Count);

        var rest = await RunAsync("AtMostOnce", broker, ledger);
        Assert.Equal(0, rest.Exit);
        var processed = Lines(ledger).ToList();
        Assert.Equal(19, processed.Count);
        Assert.Equal(19, processed.Distinct().Count()); // nothing twice
        Assert.DoesNotContain(lost, processed);          // and exactly the one record lost
    }

    [Fact]
    public async Task At_least_once_processes_again_the_record_that_was_processed_but_not_committed()
    {
        await using var broker = await BrokerWithDepositsAsync();
        string ledger = Scratch("at-least-once.ledger");
        var crash = await RunAsync("AtLeastOnce", broker, ledger, "--crash-at", "after-processing:5");
        var twice = CrashedAt(crash, "after-processing");
        Assert.Equal(5, Lines(ledger).Count);

        var rest = await RunAsync("AtLeastOnce", broker, ledger);
        Assert.Equal(0, rest.Exit);
        var processed = Lines(ledger).ToList();
        Assert.Equal(AllRecords(), processed.Distinct().Order()); // nothing lost
        Assert.Equal(2, processed.Count(r => r == twice));         // the one in flight processed twice
        Assert.True(processed.Count > 20);
    }

    [Fact]
    public async Task Effectively_once_neither_loses_nor_repeats_a_deposit_whether_it_dies_before_or_after_its_write()
    {
        await using var broker = await BrokerWithDepositsAsync();
        string storePath = Scratch("effectively-once.json");
        var afterWrite = await RunAsync("EffectivelyOnce", broker, storePath, "--crash-at", "after-store-write:5");
        CrashedAt(afterWrite, "after-store-write");
        Assert.Equal(5, Deposits(storePath).Count);

        var beforeWrite = await RunAsync("EffectivelyOnce", broker, storePath, "--crash-at", "before-store-write:3");
        var notWritten = CrashedAt(beforeWrite, "before-store-write");
        Assert.Equal(7, Deposits(storePath).Count);
        Assert.DoesNotContain(notWritten, Deposits(storePath));

        var rest = await RunAsync("EffectivelyOnce", broker, storePath);
        Assert.Equal(0, rest.Exit);
        var deposits = Deposits(storePath);
        Assert.Equal(AllRecords(), deposits.Order()); // each exactly once
        using var store = JsonDocument.Parse(File.ReadAllText(storePath));
        var balances = store.RootElement.GetProperty("Balances");
        for (int account = 0; account < 3; account++)
        {
            decimal expected = Enumerable.Range(0, Partitions * PerPartition).Where(i => i % 3 == account).Sum(i => i + 1);
            Assert.Equal(expected, balances.GetProperty("account-" + account).GetDecimal());
        }
    }

    /// <summary>Every record as "PARTITION OFFSET VALUE", sorted.</summary>
    private static IEnumerable<string> AllRecords() => Enumerable.Range(0, Partitions)
        .SelectMany(p => Enumerable.Range(0, PerPartition).Select(o => $"{p} {o} {(p * PerPartition) + o + 1}")).Order();

    private static List<string> Lines(string path) => File.Exists(path) ? [.. File.ReadAllLines(path).Where(l => l.Length > 0)] : [];

    private static List<string> Deposits(string path)
    {
        using var store = JsonDocument.Parse(File.ReadAllText(path));
        return [.. store.RootElement.GetProperty("Deposits").EnumerateArray().Select(d => d.GetString()!)];
    }

    /// <summary>Checks the run was killed at the point and returns the record it was at ("PARTITION OFFSET VALUE").</summary>
    private static string CrashedAt((int Exit, string Output) run, string point)
    {
        Assert.NotEqual(0, run.Exit);
        string line = run.Output.Split('\n').Single(l => l.StartsWith("crash at " + point, StringComparison.Ordinal));
        // "crash at POINT on deposits [P] @O"
        string[] parts = line.Split(' ');
        int partition = int.Parse(parts[^2].Trim('[', ']'), CultureInfo.InvariantCulture);
        int offset = int.Parse(parts[^1].TrimStart('@'), CultureInfo.InvariantCulture);
        return $"{partition} {offset} {(partition * PerPartition) + offset + 1}";
    }

    private string Scratch(string name) => Path.Combine(_scratch, name);

    public void Dispose()
    {
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { } // best effort
    }

    /// <summary>Runs an example to its end (idle for 3 s, then Close) or its crash; a group session of 2 s lets a restart follow a crash quickly.</summary>
    private async Task<(int Exit, string Output)> RunAsync(string example, ClientTestBroker broker, string outputPath, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { ExampleDll(example), broker.Bootstrap, Topic, "deposits-" + example, outputPath,
            "--set", "session.timeout.ms=2000", "--set", "heartbeat.interval.ms=300", "--idle-exit-ms", "3000" }.Concat(extra))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{example} did not finish: {await stdout} {await stderr}");
        }
        string text = await stdout + await stderr;
        output.WriteLine($"{example} {string.Join(' ', extra)} → exit {process.ExitCode}: {text}");
        return (process.ExitCode, text);
    }

    private static string ExampleDll(string example)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gregor.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        string dll = Path.Combine(dir.FullName, "examples", example, "bin", configuration, "net10.0", example + ".dll");
        Assert.True(File.Exists(dll), dll + " is not built");
        return dll;
    }
}
