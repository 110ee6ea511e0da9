using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>AlterConfigs (the legacy whole-resource form) through the controller: the given keys replace the resource's dynamic config.</summary>
public sealed class AlterConfigsHandler(QuorumController controller, ControllerForwarder forwarder) : ApiHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    public override ApiKey Api => ApiKey.AlterConfigs;

    protected override async ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request, CancellationToken cancellationToken)
    {
        // A broker whose controller is not the active one passes the request on (it is handled here if none answers).
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<AlterConfigsRequest, AlterConfigsResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;
        IReadOnlyList<Outcome> outcomes = await ConfigResourceOutcomes.RunAsync(
            request.Resources, r => (r.ResourceType, r.ResourceName),
            unique => controller.AlterConfigsAsync(
                unique.Select(r => new ConfigResourceReplacement((ConfigResourceType)r.ResourceType, r.ResourceName,
                    r.Configs.Select(c => new KeyValuePair<string, string?>(c.Name, c.Value)).ToList())).ToList(),
                request.ValidateOnly, cancellationToken)).ConfigureAwait(false);

        var response = new AlterConfigsResponse();
        for (int i = 0; i < request.Resources.Count; i++)
        {
            var resource = request.Resources[i];
            var outcome = outcomes[i];
            response.Responses.Add(new AlterConfigsResponse.AlterConfigsResourceResponse
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
