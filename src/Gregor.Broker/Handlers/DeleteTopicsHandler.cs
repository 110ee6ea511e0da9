using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>DeleteTopics through the controller: by name (every version) or by topic id (v6+).</summary>
/// <remarks>Advertises v1-6 rather than the schema's v0-6: Kafka 4 removed v0 (KIP-896).</remarks>
public sealed class DeleteTopicsHandler(QuorumController controller, ControllerForwarder forwarder) : ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse>
{
    public override ApiKey Api => ApiKey.DeleteTopics;

    public override short LowestVersion => 1;

    protected override async ValueTask<DeleteTopicsResponse?> HandleAsync(RequestContext context, DeleteTopicsRequest request, CancellationToken cancellationToken)
    {
        // A broker whose controller is not the active one passes the request on (it is handled here if none answers).
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<DeleteTopicsRequest, DeleteTopicsResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;
        var references = context.ApiVersion >= 6
            ? request.Topics.Select(t => new TopicReference(t.Name, t.TopicId)).ToList()
            : request.TopicNames.Select(n => new TopicReference(n, default)).ToList();

        IReadOnlyList<DeleteTopicOutcome> outcomes;
        try
        {
            outcomes = await controller.DeleteTopicsAsync(references, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcomes = references.Select(r => new DeleteTopicOutcome(r.Name, r.Id, ControllerFailures.ErrorFor(e), e.Message)).ToList();
        }

        var response = new DeleteTopicsResponse();
        foreach (var outcome in outcomes)
        {
            response.Responses.Add(new DeleteTopicsResponse.DeletableTopicResult
            {
                // Before v6 the name is not nullable; a by-id request cannot happen there.
                Name = outcome.Name ?? (context.ApiVersion >= 6 ? null : ""),
                TopicId = outcome.TopicId,
                ErrorCode = (short)outcome.Error,
                ErrorMessage = outcome.Message,
            });
        }
        return response;
    }
}
