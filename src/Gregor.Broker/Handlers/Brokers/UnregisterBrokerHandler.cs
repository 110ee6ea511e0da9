using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Brokers;

/// <summary>
/// UnregisterBroker (kafka-cluster.sh unregister), sent to the active controller: the broker's registration is
/// removed after its leadership and ISR memberships have moved away. Version 0, the only one. A broker passes it on to
/// the active controller, as Kafka's brokers do.
/// </summary>
public sealed class UnregisterBrokerHandler(QuorumController controller, ControllerForwarder forwarder) : ApiHandler<W.UnregisterBrokerRequest, W.UnregisterBrokerResponse>
{
    public override ApiKey Api => ApiKey.UnregisterBroker;

    protected override async ValueTask<W.UnregisterBrokerResponse?> HandleAsync(RequestContext context, W.UnregisterBrokerRequest request, CancellationToken cancellationToken)
    {
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<W.UnregisterBrokerRequest, W.UnregisterBrokerResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;
        Outcome outcome;
        try
        {
            outcome = await controller.UnregisterBrokerAsync(request.BrokerId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcome = new Outcome(ControllerFailures.ErrorFor(e), e.Message);
        }
        return new W.UnregisterBrokerResponse { ThrottleTimeMs = 0, ErrorCode = (short)outcome.Error, ErrorMessage = outcome.Message };
    }
}
