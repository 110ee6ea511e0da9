using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Handlers.Brokers;
using Gregor.Broker.Handlers.Quorum;
using Gregor.Raft;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker;

/// <summary>
/// A controller-only node: the replicated metadata log and its Raft member, the controller (active while this node
/// leads), and the quorum's RPCs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch of the metadata log, FetchSnapshot).
/// No partitions and no groups: a controller serves the quorum, as Kafka's controllers do.
/// </summary>
public static class ControllerQuorumServices
{
    public static IServiceCollection AddGregorControllerQuorum(this IServiceCollection services, BrokerConfig config)
    {
        ControlPlaneServices.AddMetadataState(services, config);
        services.AddSingleton<RaftEndpointSlot>();
        services.AddSingleton<IRaftEndpoint>(sp => sp.GetRequiredService<RaftEndpointSlot>());
        services.AddHostedService<ControllerQuorumHost>();

        services.AddSingleton<IApiHandler, VoteHandler>();
        services.AddSingleton<IApiHandler, BeginQuorumEpochHandler>();
        services.AddSingleton<IApiHandler, EndQuorumEpochHandler>();
        services.AddSingleton<IApiHandler, FetchSnapshotHandler>();
        services.AddSingleton<IApiHandler, MetadataLogFetchHandler>();
        services.AddSingleton<ReplicatedQuorumStatus>();
        services.AddSingleton<IQuorumStatus>(sp => sp.GetRequiredService<ReplicatedQuorumStatus>());
        services.AddSingleton<IQuorumLeader>(sp => sp.GetRequiredService<ReplicatedQuorumStatus>());
        services.AddSingleton<IApiHandler, DescribeQuorumHandler>();
        services.AddSingleton<IApiHandler, BrokerRegistrationHandler>();
        services.AddSingleton<IApiHandler, BrokerHeartbeatHandler>();
        services.AddSingleton<IApiHandler, UnregisterBrokerHandler>();
        // Admin requests sent straight to a controller (KIP-919's --bootstrap-controller); only the active one accepts
        // changes, any controller describes the cluster's controllers.
        services.AddSingleton<IApiHandler, ControllerDescribeClusterHandler>();
        services.AddSingleton<IApiHandler, CreateTopicsHandler>();
        services.AddSingleton<IApiHandler, DeleteTopicsHandler>();
        services.AddSingleton<IApiHandler, CreatePartitionsHandler>();
        services.AddSingleton<IApiHandler, IncrementalAlterConfigsHandler>();
        return services;
    }
}
