using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Handlers.Brokers;
using Gregor.Broker.Handlers.Quorum;
using Gregor.Metadata.Controller;
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
        AddReplicatedMetadata(services);
        AddQuorumHandlers(services);
        services.AddSingleton(sp => new ControllerForwarder(sp.GetRequiredService<QuorumController>()));
        services.AddSingleton<IApiHandler, MetadataLogFetchHandler>();
        services.AddSingleton<IApiHandler, DescribeQuorumHandler>();
        // Admin requests sent straight to a controller (KIP-919's --bootstrap-controller); only the active one accepts
        // changes, any controller describes the cluster's controllers.
        services.AddSingleton<IApiHandler, ControllerDescribeClusterHandler>();
        services.AddSingleton<IApiHandler, CreateTopicsHandler>();
        services.AddSingleton<IApiHandler, DeleteTopicsHandler>();
        services.AddSingleton<IApiHandler, CreatePartitionsHandler>();
        services.AddSingleton<IApiHandler, ElectLeadersHandler>();
        services.AddSingleton<IApiHandler, AlterPartitionReassignmentsHandler>();
        services.AddSingleton<IApiHandler, ListPartitionReassignmentsHandler>();
        services.AddSingleton<IApiHandler, IncrementalAlterConfigsHandler>();
        services.AddSingleton<IApiHandler, AlterConfigsHandler>();
        return services;
    }

    /// <summary>
    /// Every member of a quorum of several voters, voter or observer: the replicated metadata log opened and folded by
    /// <see cref="ControllerQuorumHost"/>, and its status for DescribeQuorum.
    /// </summary>
    internal static void AddReplicatedMetadata(IServiceCollection services)
    {
        services.AddSingleton<RaftEndpointSlot>();
        services.AddHostedService<ControllerQuorumHost>();
        services.AddSingleton<ReplicatedQuorumStatus>();
        services.AddSingleton<IQuorumStatus>(sp => sp.GetRequiredService<ReplicatedQuorumStatus>());
        services.AddSingleton<IQuorumLeader>(sp => sp.GetRequiredService<ReplicatedQuorumStatus>());
    }

    /// <summary>What a voter answers: the quorum's RPCs, the broker lifecycle's, producer id blocks' and ISR changes' (its Fetch of the metadata log is served by whichever Fetch handler the node has).</summary>
    internal static void AddQuorumHandlers(IServiceCollection services)
    {
        services.AddSingleton<IRaftEndpoint>(sp => sp.GetRequiredService<RaftEndpointSlot>());
        services.AddSingleton<IApiHandler, VoteHandler>();
        services.AddSingleton<IApiHandler, BeginQuorumEpochHandler>();
        services.AddSingleton<IApiHandler, EndQuorumEpochHandler>();
        services.AddSingleton<IApiHandler, FetchSnapshotHandler>();
        // The broker lifecycle: brokers register and heartbeat with whichever voter is the active controller.
        services.AddSingleton<IApiHandler, BrokerRegistrationHandler>();
        services.AddSingleton<IApiHandler, BrokerHeartbeatHandler>();
        services.AddSingleton<IApiHandler, UnregisterBrokerHandler>();
        // Producer id blocks for the brokers' idempotent producers (KIP-730), from the active controller only.
        services.AddSingleton<IApiHandler, AllocateProducerIdsHandler>();
        // ISR changes asked by partition leaders, from the active controller only.
        services.AddSingleton<IApiHandler, AlterPartitionHandler>();
    }
}
