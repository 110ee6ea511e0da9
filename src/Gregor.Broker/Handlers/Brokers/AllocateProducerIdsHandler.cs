using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Brokers;

/// <summary>
/// AllocateProducerIds (KIP-730), sent by a broker to the active controller for the next block of producer ids, which
/// is committed to the metadata log before it is answered. Version 0, the only one. A controller that is not active
/// answers NOT_CONTROLLER and the broker looks for the one that is; on an error the block is empty.
/// </summary>
public sealed class AllocateProducerIdsHandler(QuorumController controller) : ApiHandler<W.AllocateProducerIdsRequest, W.AllocateProducerIdsResponse>
{
    public override ApiKey Api => ApiKey.AllocateProducerIds;

    protected override async ValueTask<W.AllocateProducerIdsResponse?> HandleAsync(RequestContext context, W.AllocateProducerIdsRequest request, CancellationToken cancellationToken)
    {
        ProducerIdsOutcome outcome;
        try
        {
            outcome = await controller.AllocateProducerIdsAsync(request.BrokerId, request.BrokerEpoch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcome = ProducerIdsOutcome.Failed(ControllerFailures.ErrorFor(e), e.Message);
        }
        bool ok = outcome.Error == ErrorCode.None;
        return new W.AllocateProducerIdsResponse
        {
            ThrottleTimeMs = 0,
            ErrorCode = (short)outcome.Error,
            ProducerIdStart = ok ? outcome.FirstProducerId : 0,
            ProducerIdLen = ok ? outcome.Length : 0,
        };
    }
}
