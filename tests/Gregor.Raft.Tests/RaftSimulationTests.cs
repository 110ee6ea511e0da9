using System.Globalization;
using Gregor.Raft.Tests.Simulation;
using Xunit.Abstractions;

namespace Gregor.Raft.Tests;

/// <summary>
/// The Raft core under simulated faults, one seed per run. The suite runs 1,000 seeds (600 with three voters,
/// 400 with five, some with observers); <c>GREGOR_RAFT_SEEDS</c> runs more (the long run recorded in
/// docs/reliability.md), <c>GREGOR_RAFT_SEED</c> replays one with a trace.
/// </summary>
public sealed class RaftSimulationTests(ITestOutputHelper output)
{
    private static int SeedCount(int suiteDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("GREGOR_RAFT_SEEDS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n * suiteDefault / 1000
            : suiteDefault;

    [Fact]
    public void ThreeVotersKeepEveryInvariantUnderFaults() => RunSeeds(voters: 3, firstSeed: 1, count: SeedCount(600));

    [Fact]
    public void FiveVotersKeepEveryInvariantUnderFaults() => RunSeeds(voters: 5, firstSeed: 1_000_001, count: SeedCount(400));

    [Fact]
    public void ReplaysOneSeed()
    {
        string? text = Environment.GetEnvironmentVariable("GREGOR_RAFT_SEED");
        int seed = text is null ? 42 : int.Parse(text, CultureInfo.InvariantCulture);
        int voters = seed >= 1_000_001 ? 5 : 3;
        var first = new QuorumSimulation(Options(seed, voters) with { Verbose = text is not null });
        first.Run();
        var second = new QuorumSimulation(Options(seed, voters));
        second.Run();
        // The same seed is the same run.
        Assert.Equal(first.Stats.ToString(), second.Stats.ToString());
        output.WriteLine(first.Stats.ToString());
    }

    private static SimulationOptions Options(int seed, int voters) =>
        new(seed, voters, Observers: seed % 4 == 0 ? 1 : 0);

    private void RunSeeds(int voters, int firstSeed, int count)
    {
        var total = new SimulationStats();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var totalLock = new object();
        Parallel.For(firstSeed, firstSeed + count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, seed =>
        {
            var simulation = new QuorumSimulation(Options(seed, voters));
            try
            {
                simulation.Run();
                lock (totalLock) total.Add(simulation.Stats);
            }
            catch (InvariantViolationException e)
            {
                failures.Add(e.Message);
            }
        });
        output.WriteLine($"{count} seeds from {firstSeed}, {voters} voters: {count - failures.Count} passed; {total}");
        if (!failures.IsEmpty)
            Assert.Fail($"{failures.Count} of {count} seeds failed; the first:\n{failures.OrderBy(f => f, StringComparer.Ordinal).First()}\nothers:\n{string.Join("\n", failures.Select(f => f.Split('\n')[0]).Order(StringComparer.Ordinal).Take(12))}");
    }
}
