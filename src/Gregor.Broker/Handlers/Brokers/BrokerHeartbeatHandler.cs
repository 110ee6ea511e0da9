using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Brokers;

/// <summary>
/// BrokerHeartbeat, sent periodically by a registered broker to the active controller: renews its session, asks to be
/// fenced or unfenced or to shut down, and learns whether it is caught up, fenced, and may shut down. Versions 0-1; v1's
/// offline log dirs (a tagged field) are ignored, as a Gregor broker fails as a whole when a log dir fails. Gregor's own
/// tagged field carries the broker's leaderless replicas' log ends for the controller's unclean recovery, and an
/// election those reports allow is logged here, as the controller has no logger of its own.
/// </summary>
public sealed class BrokerHeartbeatHandler(QuorumController controller, ILogger<BrokerHeartbeatHandler>? logger = null)
    : ApiHandler<W.BrokerHeartbeatRequest, W.BrokerHeartbeatResponse>
{
    private readonly ILogger _logger = logger ?? NullLogger<BrokerHeartbeatHandler>.Instance;

    public override ApiKey Api => ApiKey.BrokerHeartbeat;

    protected override async ValueTask<W.BrokerHeartbeatResponse?> HandleAsync(RequestContext context, W.BrokerHeartbeatRequest request, CancellationToken cancellationToken)
    {
        var heartbeat = new BrokerHeartbeat(request.BrokerId, request.BrokerEpoch, request.CurrentMetadataOffset, request.WantFence, request.WantShutDown)
        {
            LeaderlessReplicas = [.. request.LeaderlessReplicas.Select(r => new LeaderlessReplicaReport(r.TopicId, r.PartitionIndex, r.PartitionEpoch,
                new ReplicaLogEnd(r.LastEpoch, r.LogEndOffset)))],
        };
        BrokerHeartbeatOutcome outcome;
        try
        {
            outcome = await controller.BrokerHeartbeatAsync(heartbeat, cancellationToken).ConfigureAwait(false);
            if (outcome.RecoveredPartitions.Count > 0)
                _logger.LogWarning("Unclean recovery elected leaders for {Partitions} on broker {BrokerId}'s report of its replicas' log ends",
                    string.Join(",", outcome.RecoveredPartitions.Take(20)), request.BrokerId);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcome = BrokerHeartbeatOutcome.Failed(ControllerFailures.ErrorFor(e), e.Message);
        }
        return new W.BrokerHeartbeatResponse
        {
            ThrottleTimeMs = 0,
            ErrorCode = (short)outcome.Error,
            IsCaughtUp = outcome.IsCaughtUp,
            IsFenced = outcome.IsFenced,
            ShouldShutDown = outcome.ShouldShutDown,
        };
    }
}
