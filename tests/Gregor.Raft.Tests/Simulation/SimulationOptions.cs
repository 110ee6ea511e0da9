namespace Gregor.Raft.Tests.Simulation;

/// <summary>The shape of one simulated run; everything random in it comes from <see cref="Seed"/>.</summary>
internal sealed record SimulationOptions(int Seed, int Voters, int Observers)
{
    /// <summary>Virtual time with faults, then time with every fault healed in which the quorum must converge.</summary>
    public long FaultPhaseMs { get; init; } = 20_000;

    public long HealPhaseMs { get; init; } = 15_000;

    public bool Verbose { get; init; }

    /// <summary>Logs whose flush does nothing (a disk that lies about fsync): used to show the checker can fail.</summary>
    public bool LyingFlush { get; init; }

    /// <summary>Timeouts scaled down from Kafka's defaults so that a virtual second holds more elections.</summary>
    public RaftSettings Raft { get; init; } = new()
    {
        ElectionTimeoutMs = 200,
        FetchTimeoutMs = 600,
        ElectionBackoffMaxMs = 200,
        RequestTimeoutMs = 300,
        FetchMaxWaitMs = 100,
        FetchMaxBytes = 2048,
        SnapshotChunkBytes = 1024,
    };
}

/// <summary>An invariant of the quorum did not hold; the message names the seed that replays it.</summary>
internal sealed class InvariantViolationException(string message) : Exception(message);
