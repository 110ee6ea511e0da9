using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Brokers;

/// <summary>
/// BrokerRegistration, sent by a starting broker to the active controller: the broker is registered (fenced) and told
/// its broker epoch. Every version the schema knows (0-4) is served; what the later versions add is not used: v1's
/// ZooKeeper-migration flag is refused as Kafka 4 refuses it, v2's log dirs are ignored, and so are the features of
/// every version (Gregor finalizes none). v3's previous epoch tells a clean shutdown from an unclean one (KIP-966); a
/// broker that sends none (v0-2) is taken as not shut down cleanly, as Kafka takes it.
/// </summary>
public sealed class BrokerRegistrationHandler(QuorumController controller) : ApiHandler<W.BrokerRegistrationRequest, W.BrokerRegistrationResponse>
{
    public override ApiKey Api => ApiKey.BrokerRegistration;

    protected override async ValueTask<W.BrokerRegistrationResponse?> HandleAsync(RequestContext context, W.BrokerRegistrationRequest request, CancellationToken cancellationToken)
    {
        if (request.IsMigratingZkBroker)
            return Answer(ErrorCode.BrokerIdNotRegistered, -1);
        var registration = new BrokerRegistrationRequest(request.BrokerId, request.ClusterId, request.IncarnationId,
            [.. request.Listeners.Select(l => new BrokerEndpointInfo(l.Name, l.Host, l.Port, l.SecurityProtocol))], request.Rack)
        {
            PreviousBrokerEpoch = request.PreviousBrokerEpoch,
        };
        try
        {
            var outcome = await controller.RegisterBrokerAsync(registration, cancellationToken).ConfigureAwait(false);
            return Answer(outcome.Error, outcome.BrokerEpoch);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            return Answer(ControllerFailures.ErrorFor(e), -1);
        }
    }

    private static W.BrokerRegistrationResponse Answer(ErrorCode error, long epoch) =>
        new() { ThrottleTimeMs = 0, ErrorCode = (short)error, BrokerEpoch = epoch };
}
