using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>ListPartitionReassignments (KIP-455) from the active controller: the reassignments under way, of the partitions named or all.</summary>
public sealed class ListPartitionReassignmentsHandler(QuorumController controller, ControllerForwarder forwarder)
    : ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>
{
    public override ApiKey Api => ApiKey.ListPartitionReassignments;

    protected override async ValueTask<ListPartitionReassignmentsResponse?> HandleAsync(RequestContext context, ListPartitionReassignmentsRequest request, CancellationToken cancellationToken)
    {
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;

        var named = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartitionRef(t.Name, p))).ToList();
        IReadOnlyList<OngoingReassignment> ongoing;
        try
        {
            ongoing = controller.ListPartitionReassignments(named);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            return new ListPartitionReassignmentsResponse { ErrorCode = (short)ControllerFailures.ErrorFor(e), ErrorMessage = e.Message };
        }

        var response = new ListPartitionReassignmentsResponse();
        foreach (var topic in ongoing.GroupBy(r => r.Topic, StringComparer.Ordinal))
        {
            response.Topics.Add(new ListPartitionReassignmentsResponse.OngoingTopicReassignment
            {
                Name = topic.Key,
                Partitions = [.. topic.Select(r => new ListPartitionReassignmentsResponse.OngoingPartitionReassignment
                {
                    PartitionIndex = r.Partition,
                    Replicas = [.. r.Replicas],
                    AddingReplicas = [.. r.Adding],
                    RemovingReplicas = [.. r.Removing],
                })],
            });
        }
        return response;
    }
}
