using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>
/// DescribeCluster answered by a controller (KIP-919's --bootstrap-controller), as Kafka's controllers answer it: the
/// controllers (endpoint type 2) with the active one, the quorum's leader, as controller id (−1 during an election);
/// each controller is listed at its entry in <c>controller.quorum.voters</c>. The brokers (endpoint type 1, and so
/// every v0 request) are for a broker to describe: MISMATCHED_ENDPOINT_TYPE, or INVALID_REQUEST in v0, which
/// predates that code. A v2 request's IncludeFencedBrokers changes nothing here: fencing is a broker's state, so every
/// controller is listed, none marked fenced.
/// </summary>
public sealed class ControllerDescribeClusterHandler(IMetadataView view, IQuorumLeader quorum, BrokerConfig config)
    : ApiHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    private const sbyte BrokerEndpoints = 1;
    private const sbyte ControllerEndpoints = 2;

    public override ApiKey Api => ApiKey.DescribeCluster;

    protected override async ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request, CancellationToken cancellationToken)
    {
        if (request.EndpointType != ControllerEndpoints)
        {
            bool known = request.EndpointType == BrokerEndpoints;
            return new DescribeClusterResponse
            {
                ErrorCode = (short)(context.ApiVersion == 0 ? ErrorCode.InvalidRequest
                    : known ? ErrorCode.MismatchedEndpointType : ErrorCode.UnsupportedEndpointType),
                ErrorMessage = known
                    ? "The request was sent to a controller, but asks for the brokers: ask a broker."
                    : $"Unsupported endpoint type {request.EndpointType}",
            };
        }
        var response = new DescribeClusterResponse
        {
            ClusterId = view.Current.ClusterId,
            ControllerId = await quorum.LeaderIdAsync().ConfigureAwait(false),
            EndpointType = ControllerEndpoints,
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AuthorizedOperations.AllClusterOperations : AuthorizedOperations.NotRequested,
        };
        foreach (var voter in config.Quorum.Voters.OrderBy(v => v.Id))
            response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker { BrokerId = voter.Id, Host = voter.Host, Port = voter.Port });
        return response;
    }
}
