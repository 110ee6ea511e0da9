using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Gregor.RequestFuzz.Tests;

/// <summary>
/// The run: mutated frames one after another on a connection (a new one whenever the broker closed it or stayed
/// silent), and after each case the probe's request must be answered, the broker must have logged no error, and
/// the case must have allocated within its budget. Findings are collected, not thrown, so one run shows them all.
/// </summary>
internal static partial class RequestFuzzer
{
    /// <summary>How long a fuzzed request may take before its connection is dropped (a long poll, a parked join).</summary>
    private static readonly TimeSpan CasePatience = TimeSpan.FromSeconds(1);

    /// <summary>A frame here is at most a few KiB; what the broker does for one must not need more than this.</summary>
    public const long CaseAllocationBudget = 64L << 20;

    /// <summary>The broker's memory budget (issue 11's default): RSS may not grow past it during a run.</summary>
    public const long RssBudget = 512L << 20;

    private const int ProduceEvery = 100;
    private const int SweepEvery = 500;

    public static async Task<FuzzReport> RunAsync(FuzzSettings settings)
    {
        await using var broker = await FuzzBroker.StartAsync();
        using var probe = await BrokerProbe.StartAsync(broker.Port);
        var served = broker.Served;
        var corpus = SeedCorpus.Build(served, settings.Seed);
        var mutator = new FrameMutator(corpus, served, FuzzBroker.FanOutCap);
        var report = new FuzzReport(settings.Seed, corpus.Count, served);
        var caseOnPort = new Dictionary<int, FuzzCase>();
        Exception? unobserved = null;
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) => unobserved ??= e.Exception;
        TaskScheduler.UnobservedTaskException += onUnobserved;

        Classify(broker.Lines.Drain(), report, caseOnPort, null);
        long heapAtStart = GC.GetTotalMemory(forceFullCollection: true);
        long rssAtStart = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        FuzzConnection? connection = null;
        try
        {
            for (int index = settings.FirstCase; index <= settings.LastCase && (settings.IsReplay || clock.Elapsed < settings.Duration); index++)
            {
                FuzzCase c = mutator.Make(settings.Seed, index);
                connection ??= await FuzzConnection.ConnectAsync(broker.Port);
                caseOnPort[connection.LocalPort] = c;

                long allocatedBefore = GC.GetTotalAllocatedBytes();
                Exchange exchange;
                try
                {
                    exchange = await connection.ExchangeAsync(c.Frame(), CasePatience);
                }
                catch (InvalidDataException e)
                {
                    report.Find(c, e.Message);
                    exchange = new Exchange(Outcome.Closed, 0, null);
                }
                long allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
                report.Record(c, exchange.Outcome, allocated);
                if (allocated > CaseAllocationBudget)
                    report.Find(c, $"the case allocated {allocated / 1024 / 1024} MiB, over its budget of {CaseAllocationBudget / 1024 / 1024} MiB");
                if (exchange.Outcome == Outcome.Answered && exchange.CorrelationId != c.CorrelationId)
                    report.Find(c, $"answered with correlation id {exchange.CorrelationId} to a request with {c.CorrelationId}");
                if (exchange.Outcome != Outcome.Answered || c.PrefixLies)
                {
                    connection.Dispose();
                    connection = null;
                }

                if (await probe.CheckAnsweringAsync() is { } silent) report.Find(c, "after this case the broker stopped answering: " + silent);
                if (index % ProduceEvery == 0 && await probe.ProduceAsync() is { } lost) report.Find(c, lost);
                if (index % SweepEvery == SweepEvery - 1) report.TopicsSwept += await probe.SweepTopicsAsync();
                Classify(broker.Lines.Drain(), report, caseOnPort, c);
                long rssGrowth = Environment.WorkingSet - rssAtStart;
                report.SampleRssGrowth(rssGrowth);
                if (rssGrowth > RssBudget) report.Find(c, $"RSS grew {rssGrowth / 1024 / 1024} MiB, over the {RssBudget / 1024 / 1024} MiB budget");
                if (unobserved is not null)
                {
                    report.Find(c, "unobserved task exception: " + unobserved.GetBaseException().Message);
                    unobserved = null;
                }
            }
        }
        finally
        {
            connection?.Dispose();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }
        report.Elapsed = clock.Elapsed;
        report.Acknowledged = probe.Acknowledged;
        if (await probe.VerifyAcknowledgedAsync() is { } missing)
            report.Find(mutator.Make(settings.Seed, settings.FirstCase), "at the end: " + missing);
        report.RetainedHeapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapAtStart;
        return report;
    }

    /// <summary>
    /// An error line, or any line carrying an exception that is not about the connection itself, is a finding,
    /// charged to the case whose connection it names (else the case in hand). Warnings are counted by kind.
    /// </summary>
    private static void Classify(List<BrokerLine> lines, FuzzReport report, Dictionary<int, FuzzCase> caseOnPort, FuzzCase? current)
    {
        foreach (var line in lines)
        {
            FuzzCase? charged = current;
            if (PeerPort().Match(line.Text) is { Success: true } m && caseOnPort.TryGetValue(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), out var named))
                charged = named;
            bool unexpectedException = line.Exception is not null
                && !line.Exception.StartsWith(nameof(IOException), StringComparison.Ordinal)
                && !line.Exception.StartsWith(nameof(OperationCanceledException), StringComparison.Ordinal);
            if (line.Level >= LogLevel.Error || unexpectedException)
            {
                string problem = $"broker logged {line.Level} ({line.Category}): {line.Text}" + (line.Exception is null ? "" : " -- " + line.Exception);
                if (charged is null) throw new InvalidOperationException("before fuzzing started, " + problem);
                report.Find(charged, problem);
            }
            else
            {
                report.CountWarning(Kind(line.Text));
            }
        }
    }

    private static string Kind(string text) =>
        text.Contains("over max.request.partitions", StringComparison.Ordinal) ? (text.Contains("answered", StringComparison.Ordinal) ? "over the fan-out cap, answered" : "over the fan-out cap, closed")
        : text.Contains(": malformed ", StringComparison.Ordinal) ? "malformed request, closed"
        : text.Contains("is not supported", StringComparison.Ordinal) || text.Contains("unknown or unsupported", StringComparison.Ordinal) ? "unsupported API or version, closed"
        : Numbers().Replace(PeerPort().Replace(text, "from <peer>"), "N");

    [GeneratedRegex(@"from 127\.0\.0\.1:(\d+)")]
    private static partial Regex PeerPort();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Numbers();
}
