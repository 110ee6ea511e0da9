namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>The shape of one simulated run; everything random in it comes from <see cref="Seed"/>.</summary>
internal sealed record ReplicationSimulationOptions(int Seed, int Replicas)
{
    /// <summary>Virtual time with faults, then time with every fault healed in which the replicas must converge.</summary>
    public long FaultPhaseMs { get; init; } = 12_000;

    public long HealPhaseMs { get; init; } = 8_000;

    public int MinInsyncReplicas { get; init; } = 2;

    /// <summary><c>replica.lag.time.max.ms</c>, scaled down from Kafka's 30 s so that a virtual second holds more ISR changes.</summary>
    public long LagTimeMaxMs { get; init; } = 600;

    /// <summary><c>broker.session.timeout.ms</c>, scaled down from 9 s; brokers heartbeat every <see cref="HeartbeatMs"/>.</summary>
    public long SessionTimeoutMs { get; init; } = 500;

    public long HeartbeatMs { get; init; } = 100;

    /// <summary><c>unclean.recovery.timeout.ms</c>, scaled down from 5 min: ten session timeouts, more than a crashed broker takes to return.</summary>
    public long UncleanRecoveryTimeoutMs { get; init; } = 5_000;

    public bool Verbose { get; init; }

    /// <summary>
    /// Sabotage for showing the checker can fail: the controller may elect any live replica (unclean.leader.election.enable,
    /// eligible leader replicas off). Never on in the suite's runs.
    /// </summary>
    public bool UncleanElection { get; init; }

    /// <summary>
    /// Idempotent producers follow Gregor.Client's rule: one batch in flight until one is acknowledged under the producer
    /// id, so no later batch can reach a leader that has no state for the producer first (Kafka's leader takes any
    /// sequence then, KIP-360, and the first batch is refused for good). Off by default, which models librdkafka and
    /// keeps every seed's run as recorded; <c>GREGOR_REPLICATION_FIRST_BATCH_ALONE=1</c> turns it on.
    /// </summary>
    public bool FirstBatchAlone { get; init; }
}

/// <summary>A safety property did not hold; the message names the seed that replays it.</summary>
internal sealed class ReplicationInvariantException(string message) : Exception(message);

/// <summary>What happened in one run, summed over runs for the record.</summary>
internal sealed class ReplicationSimulationStats
{
    public long Proposed;
    public long Acknowledged;
    public long AcknowledgedAfterHeal;
    public long IdempotentAcknowledged;
    public long ProduceErrors;
    public long FatalProducerErrors;
    public long Elections;
    public long Crashes;
    public long TailsLost;
    public long Pauses;
    public long Truncations;
    public long TruncatedOffsets;
    public long IsrShrinks;
    public long IsrExpansions;
    public long Fencings;
    public long Delivered;
    public long CommittedOffsets;
    public long VirtualMs;

    public void Add(ReplicationSimulationStats o)
    {
        Proposed += o.Proposed;
        Acknowledged += o.Acknowledged;
        AcknowledgedAfterHeal += o.AcknowledgedAfterHeal;
        IdempotentAcknowledged += o.IdempotentAcknowledged;
        ProduceErrors += o.ProduceErrors;
        FatalProducerErrors += o.FatalProducerErrors;
        Elections += o.Elections;
        Crashes += o.Crashes;
        TailsLost += o.TailsLost;
        Pauses += o.Pauses;
        Truncations += o.Truncations;
        TruncatedOffsets += o.TruncatedOffsets;
        IsrShrinks += o.IsrShrinks;
        IsrExpansions += o.IsrExpansions;
        Fencings += o.Fencings;
        Delivered += o.Delivered;
        CommittedOffsets += o.CommittedOffsets;
        VirtualMs += o.VirtualMs;
    }

    public override string ToString() =>
        $"{Proposed} writes proposed, {Acknowledged} acknowledged with acks=all ({IdempotentAcknowledged} idempotent, {AcknowledgedAfterHeal} after healing), " +
        $"{ProduceErrors} produce errors ({FatalProducerErrors} fatal to an idempotent producer), {CommittedOffsets} offsets committed, " +
        $"{Elections} leader epochs, {Fencings} brokers fenced, {Crashes} crashes ({TailsLost} losing their unflushed tail), {Pauses} pauses, " +
        $"{Truncations} follower truncations ({TruncatedOffsets} offsets), {IsrShrinks} ISR shrinks, {IsrExpansions} expansions, " +
        $"{Delivered} messages delivered, {VirtualMs / 1000} s virtual time";
}
