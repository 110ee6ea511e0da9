using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>AlterPartitionReassignments (KIP-455) through the controller: one result per partition asked; a controller that cannot act answers at the top.</summary>
public sealed class AlterPartitionReassignmentsHandler(QuorumController controller, ControllerForwarder forwarder)
    : ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>
{
    public override ApiKey Api => ApiKey.AlterPartitionReassignments;

    protected override async ValueTask<AlterPartitionReassignmentsResponse?> HandleAsync(RequestContext context, AlterPartitionReassignmentsRequest request, CancellationToken cancellationToken)
    {
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;

        var asked = request.Topics.SelectMany(t => t.Partitions.Select(p => new PartitionReassignment(t.Name, p.PartitionIndex, p.Replicas))).ToList();
        IReadOnlyList<Outcome> outcomes;
        try
        {
            outcomes = await controller.AlterPartitionReassignmentsAsync(asked, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            return new AlterPartitionReassignmentsResponse { ErrorCode = (short)ControllerFailures.ErrorFor(e), ErrorMessage = e.Message };
        }

        var response = new AlterPartitionReassignmentsResponse();
        int next = 0;
        foreach (var topic in request.Topics)
        {
            var results = new AlterPartitionReassignmentsResponse.ReassignableTopicResponse { Name = topic.Name };
            foreach (var partition in topic.Partitions)
            {
                var outcome = outcomes[next++];
                results.Partitions.Add(new AlterPartitionReassignmentsResponse.ReassignablePartitionResponse
                {
                    PartitionIndex = partition.PartitionIndex,
                    ErrorCode = (short)outcome.Error,
                    ErrorMessage = outcome.Message,
                });
            }
            response.Responses.Add(results);
        }
        return response;
    }
}
