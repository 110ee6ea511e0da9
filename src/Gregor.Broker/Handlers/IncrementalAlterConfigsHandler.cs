using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>IncrementalAlterConfigs through the controller: set, delete, append or subtract single keys of topics and brokers.</summary>
public sealed class IncrementalAlterConfigsHandler(QuorumController controller, ControllerForwarder forwarder) : ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    public override ApiKey Api => ApiKey.IncrementalAlterConfigs;

    protected override async ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request, CancellationToken cancellationToken)
    {
        // A broker whose controller is not the active one passes the request on (it is handled here if none answers).
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;
        IReadOnlyList<Outcome> outcomes = await ConfigResourceOutcomes.RunAsync(
            request.Resources, r => (r.ResourceType, r.ResourceName),
            unique => controller.IncrementalAlterConfigsAsync(
                unique.Select(r => new ConfigResourceChanges((ConfigResourceType)r.ResourceType, r.ResourceName,
                    r.Configs.Select(c => new ConfigChange(c.Name, (ConfigOperationKind)c.ConfigOperation, c.Value)).ToList())).ToList(),
                request.ValidateOnly, cancellationToken)).ConfigureAwait(false);

        var response = new IncrementalAlterConfigsResponse();
        for (int i = 0; i < request.Resources.Count; i++)
        {
            var resource = request.Resources[i];
            var outcome = outcomes[i];
            response.Responses.Add(new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorCode = (short)outcome.Error,
                ErrorMessage = outcome.Message,
            });
        }
        return response;
    }
}
