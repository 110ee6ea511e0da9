using Gregor.Metadata.Records;
using Gregor.Protocol;

namespace Gregor.Metadata.Controller;

/// <summary>
/// Producer id blocks (KIP-730): a broker asks for a block of ids to give its idempotent producers, and the controller
/// hands out the next one by committing a ProducerIdsRecord that moves the image's next producer id past it. The state
/// is only in the image, so a new active controller (failover) or a restarted one (log replay or snapshot) goes on
/// where the last block ended, and no id is handed out twice.
/// </summary>
public sealed partial class QuorumController
{
    /// <summary>Ids per block, as Kafka's controller hands them out.</summary>
    public const int ProducerIdBlockSize = 1000;

    /// <summary>
    /// AllocateProducerIds: the next block, committed before it is returned. Refused with STALE_BROKER_EPOCH for a broker
    /// not registered or with another epoch (Kafka's controller answers both so), and with UNKNOWN_SERVER_ERROR once a
    /// block would run past the largest id (as Kafka, the check leaves the last block size of ids unused).
    /// </summary>
    public Task<ProducerIdsOutcome> AllocateProducerIdsAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken = default) =>
        RunAsync(commit: true, cancellationToken, op =>
        {
            if (!op.Image.Brokers.TryGetValue(brokerId, out var broker))
                return ProducerIdsOutcome.Failed(ErrorCode.StaleBrokerEpoch, $"Broker {brokerId} asked for producer ids but is not registered.");
            if (broker.Epoch != brokerEpoch)
                return ProducerIdsOutcome.Failed(ErrorCode.StaleBrokerEpoch, $"Broker {brokerId} has epoch {broker.Epoch}, not {brokerEpoch}.");
            long first = op.Image.NextProducerId;
            if (first > long.MaxValue - ProducerIdBlockSize)
                return ProducerIdsOutcome.Failed(ErrorCode.UnknownServerError, $"Producer ids are exhausted: the next block would start at {first}.");
            op.Add(new ProducerIdsRecord { BrokerId = brokerId, BrokerEpoch = brokerEpoch, NextProducerId = first + ProducerIdBlockSize });
            return new ProducerIdsOutcome(ErrorCode.None, null, first, ProducerIdBlockSize);
        });
}
