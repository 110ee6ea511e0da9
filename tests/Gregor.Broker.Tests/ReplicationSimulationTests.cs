using System.Globalization;
using Gregor.Broker.Tests.ReplicationSimulation;
using Xunit.Abstractions;

namespace Gregor.Broker.Tests;

/// <summary>
/// One replicated partition under simulated faults, one seed per run (see <see cref="ReplicationSimulation.ReplicationSimulation"/>).
/// The suite runs 120 seeds (90 with three replicas, 30 with five: about 8 s of CPU); <c>GREGOR_REPLICATION_SEEDS</c>
/// runs that many instead, in the same proportions (the long run recorded in docs/reliability.md), and
/// <c>GREGOR_REPLICATION_SEED</c> replays one with a trace.
/// </summary>
[Collection(ReplicationSimulationCollection.Name)]
public sealed class ReplicationSimulationTests(ITestOutputHelper output)
{
    private const int FiveReplicaSeeds = 1_000_001;
    private const int SuiteSeeds = 120;

    private static int SeedCount(int suiteDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("GREGOR_REPLICATION_SEEDS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? (int)((long)n * suiteDefault / SuiteSeeds)
            : suiteDefault;

    [Fact]
    public void ThreeReplicasKeepEveryInvariantUnderFaults() => RunSeeds(replicas: 3, firstSeed: 1, count: SeedCount(90));

    [Fact]
    public void FiveReplicasKeepEveryInvariantUnderFaults() => RunSeeds(replicas: 5, firstSeed: FiveReplicaSeeds, count: SeedCount(30));

    [Fact]
    public void ReplaysOneReplicationSeed()
    {
        string? text = Environment.GetEnvironmentVariable("GREGOR_REPLICATION_SEED");
        int seed = text is null ? 42 : int.Parse(text, CultureInfo.InvariantCulture);
        string first = Run(Options(seed) with { Verbose = text is not null });
        string second = Run(Options(seed));
        // The same seed is the same run.
        Assert.Equal(first, second);
        output.WriteLine(first);
    }

    /// <summary>
    /// Seed 1000666 found a leader whose AlterPartition expansion went unanswered (cut from the controller) dropping the
    /// change, so its high watermark passed the new member, which the controller had added to the ISR and then elected:
    /// a new leader one committed offset short. An unanswered change now stays in flight and is asked again.
    /// </summary>
    [Fact]
    public void AnUnansweredIsrExpansionIsNotDropped() => Run(Options(1_000_666));

    /// <summary>
    /// The checker can fail: with unclean leader election allowed (and eligible leader replicas off) the controller may
    /// elect a replica that lacks acknowledged records, and some of the first 20 seeds (1, 2 and 11 among them) catch it losing them.
    /// </summary>
    [Fact]
    public void UncleanElectionIsCaughtLosingAcknowledgedWrites()
    {
        var caught = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(1, 21, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, seed =>
        {
            using var simulation = new ReplicationSimulation.ReplicationSimulation(Options(seed) with { UncleanElection = true });
            try
            {
                simulation.Run();
            }
            catch (ReplicationInvariantException e)
            {
                caught.Add(e.Message.Split('\n')[0]);
            }
        });
        output.WriteLine($"{caught.Count} of 20 seeds caught:\n{string.Join("\n", caught.Order(StringComparer.Ordinal).Take(10))}");
        Assert.NotEmpty(caught);
    }

    private static ReplicationSimulationOptions Options(int seed) => new(seed, seed >= FiveReplicaSeeds ? 5 : 3)
    {
        FirstBatchAlone = Environment.GetEnvironmentVariable("GREGOR_REPLICATION_FIRST_BATCH_ALONE") == "1",
    };

    private static string Run(ReplicationSimulationOptions options)
    {
        using var simulation = new ReplicationSimulation.ReplicationSimulation(options);
        simulation.Run();
        return simulation.Stats.ToString();
    }

    private void RunSeeds(int replicas, int firstSeed, int count)
    {
        var total = new ReplicationSimulationStats();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var totalLock = new object();
        Parallel.For(firstSeed, firstSeed + count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, seed =>
        {
            using var simulation = new ReplicationSimulation.ReplicationSimulation(Options(seed));
            try
            {
                simulation.Run();
                lock (totalLock) total.Add(simulation.Stats);
            }
            catch (ReplicationInvariantException e)
            {
                failures.Add(e.Message);
            }
        });
        output.WriteLine($"{count} seeds from {firstSeed}, {replicas} replicas: {count - failures.Count} passed; {total}");
        // Every failing seed's first line (the long run's list to replay), not only the first dozen of the assertion.
        foreach (string failure in failures.Select(f => f.Split('\n')[0]).Order(StringComparer.Ordinal))
            output.WriteLine(failure);
        if (!failures.IsEmpty)
            Assert.Fail($"{failures.Count} of {count} seeds failed; the first:\n{failures.OrderBy(f => f, StringComparer.Ordinal).First()}\nothers:\n{string.Join("\n", failures.Select(f => f.Split('\n')[0]).Order(StringComparer.Ordinal).Take(100))}");
    }
}

/// <summary>
/// The simulation runs alone: it keeps both cores busy for seconds with synchronous waits, and the tests that drive a
/// real broker over sockets beside it (kcat's 5 s metadata timeout) starved and failed in the full suite.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReplicationSimulationCollection
{
    public const string Name = "Replication simulation";
}
