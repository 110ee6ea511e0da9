using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>CreatePartitions through the controller: only increases; validate_only checks without committing.</summary>
public sealed class CreatePartitionsHandler(QuorumController controller, ControllerForwarder forwarder) : ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    public override ApiKey Api => ApiKey.CreatePartitions;

    protected override async ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request, CancellationToken cancellationToken)
    {
        // A broker whose controller is not the active one passes the request on (it is handled here if none answers).
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<CreatePartitionsRequest, CreatePartitionsResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;
        var counts = request.Topics.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var increases = request.Topics.Where(t => counts[t.Name] == 1)
            // Null (or, as some clients send, empty) assignments leave placement to the controller.
            .Select(t => new PartitionIncrease(t.Name, t.Count, t.Assignments is { Count: > 0 } a ? a.Select(x => (IReadOnlyList<int>)x.BrokerIds).ToList() : null))
            .ToList();

        IReadOnlyList<Outcome> outcomes;
        try
        {
            outcomes = await controller.CreatePartitionsAsync(increases, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcomes = increases.Select(_ => new Outcome(ControllerFailures.ErrorFor(e), e.Message)).ToList();
        }

        var response = new CreatePartitionsResponse();
        var byName = increases.Select((inc, i) => (inc.Topic, outcomes[i])).ToDictionary(x => x.Topic, x => x.Item2, StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in request.Topics)
        {
            if (!reported.Add(topic.Name)) continue;
            var outcome = counts[topic.Name] > 1 ? new Outcome(ErrorCode.InvalidRequest, "Duplicate topic in request.") : byName[topic.Name];
            response.Results.Add(new CreatePartitionsResponse.CreatePartitionsTopicResult
            {
                Name = topic.Name,
                ErrorCode = (short)outcome.Error,
                ErrorMessage = outcome.Message,
            });
        }
        return response;
    }
}
