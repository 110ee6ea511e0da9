using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>
/// ElectLeaders (KIP-460) through the controller: preferred (v0 always) or unclean elections per partition. Errors of
/// the whole request (an unknown election type, no active controller) go on every partition asked, and from v1 also
/// in the top-level error, as Kafka answers.
/// </summary>
public sealed class ElectLeadersHandler(QuorumController controller, ControllerForwarder forwarder) : ApiHandler<ElectLeadersRequest, ElectLeadersResponse>
{
    public override ApiKey Api => ApiKey.ElectLeaders;

    protected override async ValueTask<ElectLeadersResponse?> HandleAsync(RequestContext context, ElectLeadersRequest request, CancellationToken cancellationToken)
    {
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<ElectLeadersRequest, ElectLeadersResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;

        var type = context.ApiVersion == 0 ? ElectionType.Preferred : (ElectionType)request.ElectionType;
        if (type is not (ElectionType.Preferred or ElectionType.Unclean))
            return Failed(request, context.ApiVersion, ErrorCode.InvalidRequest, $"Unknown election type {request.ElectionType}.");
        var topics = request.TopicPartitions?.Select(t => new ElectionTopic(t.Topic, t.Partitions)).ToList();
        IReadOnlyList<TopicElectionOutcome> outcomes;
        try
        {
            outcomes = await controller.ElectLeadersAsync(type, topics, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            return Failed(request, context.ApiVersion, ControllerFailures.ErrorFor(e), e.Message);
        }

        var response = new ElectLeadersResponse();
        foreach (var topic in outcomes)
        {
            response.ReplicaElectionResults.Add(new ElectLeadersResponse.ReplicaElectionResult
            {
                Topic = topic.Topic,
                PartitionResult = [.. topic.Partitions.Select(p => new ElectLeadersResponse.ElectionPartitionResult
                {
                    PartitionId = p.Partition,
                    ErrorCode = (short)p.Error,
                    ErrorMessage = p.Message,
                })],
            });
        }
        return response;
    }

    private static ElectLeadersResponse Failed(ElectLeadersRequest request, short version, ErrorCode error, string message)
    {
        var response = new ElectLeadersResponse { ErrorCode = version >= 1 ? (short)error : (short)0 };
        foreach (var topic in request.TopicPartitions ?? [])
        {
            response.ReplicaElectionResults.Add(new ElectLeadersResponse.ReplicaElectionResult
            {
                Topic = topic.Topic,
                PartitionResult = [.. topic.Partitions.Select(p => new ElectLeadersResponse.ElectionPartitionResult
                {
                    PartitionId = p,
                    ErrorCode = (short)error,
                    ErrorMessage = message,
                })],
            });
        }
        return response;
    }
}
