namespace Gregor.Metadata;

/// <summary>
/// Whether a partition's leader holds everything the partition committed (KIP-704). A leader elected uncleanly, from
/// outside the ISR, may not: it is <see cref="Recovering"/> until it tells the controller (AlterPartition) that it has
/// dealt with that, and meanwhile its ISR is only itself. The values are Kafka's, as records and AlterPartition carry them.
/// </summary>
public enum LeaderRecoveryState : sbyte
{
    Recovered = 0,
    Recovering = 1,
}
