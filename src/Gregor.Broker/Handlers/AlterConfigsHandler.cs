using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>AlterConfigs (the legacy whole-resource form) through the controller: the given keys replace the resource's dynamic config.</summary>
public sealed class AlterConfigsHandler(QuorumController controller) : ApiHandler<AlterConfigsRequest, AlterConfigsResponse>
{
    public override ApiKey Api => ApiKey.AlterConfigs;

    protected override async ValueTask<AlterConfigsResponse?> HandleAsync(RequestContext context, AlterConfigsRequest request, CancellationToken cancellationToken)
    {
        var duplicates = DuplicateResources.Find(request.Resources.Select(r => (r.ResourceType, r.ResourceName)));
        var unique = request.Resources.Where(r => !duplicates.Contains((r.ResourceType, r.ResourceName)))
            .Select(r => new ConfigResourceReplacement((ConfigResourceType)r.ResourceType, r.ResourceName,
                r.Configs.Select(c => new KeyValuePair<string, string?>(c.Name, c.Value)).ToList()))
            .ToList();

        IReadOnlyList<Outcome> outcomes;
        try
        {
            outcomes = await controller.AlterConfigsAsync(unique, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcomes = unique.Select(_ => new Outcome(ControllerFailures.ErrorFor(e), e.Message)).ToList();
        }

        var response = new AlterConfigsResponse();
        int next = 0;
        foreach (var resource in request.Resources)
        {
            var outcome = duplicates.Contains((resource.ResourceType, resource.ResourceName))
                ? new Outcome(ErrorCode.InvalidRequest, "Duplicate resource in request.")
                : outcomes[next++];
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
