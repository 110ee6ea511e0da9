using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Hosting;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>
/// DescribeCluster: cluster id, controller and brokers from the image. v1 may ask for the controllers
/// instead (endpoint type 2); on a combined single node the controller is this broker, at the same endpoint.
/// The brokers are the unfenced ones, unless a v2 request asks for the fenced ones too (KIP-1073): then every
/// registered broker is listed, each with its fenced flag. The controllers are listed as before, whatever it asks.
/// </summary>
public sealed class DescribeClusterHandler(IMetadataView view, BrokerConfig? config = null) : ApiHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    private const sbyte BrokerEndpoints = 1;
    private const sbyte ControllerEndpoints = 2;

    public override ApiKey Api => ApiKey.DescribeCluster;

    protected override ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request, CancellationToken cancellationToken)
    {
        var image = view.Current;
        var response = new DescribeClusterResponse
        {
            ClusterId = image.ClusterId,
            ControllerId = ClientFacingController.Id(image, config),
            EndpointType = request.EndpointType,
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AuthorizedOperations.AllClusterOperations : AuthorizedOperations.NotRequested,
        };
        if (request.EndpointType is not (BrokerEndpoints or ControllerEndpoints))
        {
            response.ErrorCode = (short)ErrorCode.UnsupportedEndpointType;
            response.ErrorMessage = $"Unsupported endpoint type {request.EndpointType}";
            return ValueTask.FromResult<DescribeClusterResponse?>(response);
        }
        // A cluster's broker does not describe the controllers: they are asked directly (KIP-919), as Kafka's brokers answer.
        if (request.EndpointType == ControllerEndpoints && config is not null && NodeRuntime.IsClusterBroker(config))
        {
            response.ErrorCode = (short)ErrorCode.MismatchedEndpointType;
            response.ErrorMessage = "This is a broker: ask the controllers (their listener) to describe the controllers.";
            return ValueTask.FromResult<DescribeClusterResponse?>(response);
        }
        // IncludeFencedBrokers is read only from v2; below, it is false.
        bool withFenced = request.IncludeFencedBrokers && request.EndpointType == BrokerEndpoints;
        foreach (var broker in image.Brokers.Values.Where(b => withFenced || !b.Fenced).OrderBy(b => b.NodeId))
        {
            if (request.EndpointType == ControllerEndpoints && broker.NodeId != image.ControllerId) continue;
            response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker
            {
                BrokerId = broker.NodeId, Host = broker.Host, Port = broker.Port, Rack = broker.Rack, IsFenced = broker.Fenced,
            });
        }
        return ValueTask.FromResult<DescribeClusterResponse?>(response);
    }
}
