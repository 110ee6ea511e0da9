using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>IncrementalAlterConfigs through the controller: set, delete, append or subtract single keys of topics and brokers.</summary>
public sealed class IncrementalAlterConfigsHandler(QuorumController controller) : ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>
{
    public override ApiKey Api => ApiKey.IncrementalAlterConfigs;

    protected override async ValueTask<IncrementalAlterConfigsResponse?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequest request, CancellationToken cancellationToken)
    {
        var resources = request.Resources.Select(r => new ConfigResourceChanges((ConfigResourceType)r.ResourceType, r.ResourceName,
            r.Configs.Select(c => new ConfigChange(c.Name, (ConfigOperationKind)c.ConfigOperation, c.Value)).ToList())).ToList();
        var duplicates = DuplicateResources.Find(request.Resources.Select(r => (r.ResourceType, r.ResourceName)));
        var unique = resources.Where(r => !duplicates.Contains(((sbyte)r.ResourceType, r.ResourceName))).ToList();

        IReadOnlyList<Outcome> outcomes;
        try
        {
            outcomes = await controller.IncrementalAlterConfigsAsync(unique, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcomes = unique.Select(_ => new Outcome(ControllerFailures.ErrorFor(e), e.Message)).ToList();
        }

        var response = new IncrementalAlterConfigsResponse();
        int next = 0;
        foreach (var resource in request.Resources)
        {
            var outcome = duplicates.Contains((resource.ResourceType, resource.ResourceName))
                ? new Outcome(ErrorCode.InvalidRequest, "Duplicate resource in request.")
                : outcomes[next++];
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

/// <summary>Resources named more than once in one config request: Kafka answers each such entry with INVALID_REQUEST.</summary>
internal static class DuplicateResources
{
    public static HashSet<(sbyte Type, string Name)> Find(IEnumerable<(sbyte Type, string Name)> resources) =>
        resources.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
}
