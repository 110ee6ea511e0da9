using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Handlers.Quorum;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Raft;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        ArgumentNullException.ThrowIfNull(config);
        services.TryAddSingleton(config);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new MetadataPublisher(MetadataImage.Empty("", config.NodeId)));
        services.AddSingleton<IMetadataView>(sp => sp.GetRequiredService<MetadataPublisher>());
        services.AddSingleton(new ControllerSettings(config.NodeId)
        {
            NumPartitions = config.NumPartitions,
            DefaultReplicationFactor = config.DefaultReplicationFactor,
            LogDefaults = config.LogDefaults,
        });
        services.AddSingleton(sp => new QuorumController(sp.GetRequiredService<MetadataPublisher>(), sp.GetRequiredService<ControllerSettings>(),
            sp.GetRequiredService<TimeProvider>(), new Random()));
        services.AddSingleton<RaftEndpointSlot>();
        services.AddSingleton<IRaftEndpoint>(sp => sp.GetRequiredService<RaftEndpointSlot>());
        services.AddSingleton<MetadataFailureStop>();
        services.AddHostedService<ControllerQuorumHost>();

        services.AddSingleton<IApiHandler, VoteHandler>();
        services.AddSingleton<IApiHandler, BeginQuorumEpochHandler>();
        services.AddSingleton<IApiHandler, EndQuorumEpochHandler>();
        services.AddSingleton<IApiHandler, FetchSnapshotHandler>();
        services.AddSingleton<IApiHandler, MetadataLogFetchHandler>();
        services.AddSingleton<ReplicatedQuorumStatus>();
        services.AddSingleton<IQuorumStatus>(sp => sp.GetRequiredService<ReplicatedQuorumStatus>());
        services.AddSingleton<IApiHandler, DescribeQuorumHandler>();
        // Admin requests sent straight to a controller (KIP-919's --bootstrap-controller); only the active one accepts them.
        services.AddSingleton<IApiHandler, DescribeClusterHandler>();
        services.AddSingleton<IApiHandler, CreateTopicsHandler>();
        services.AddSingleton<IApiHandler, DeleteTopicsHandler>();
        services.AddSingleton<IApiHandler, CreatePartitionsHandler>();
        services.AddSingleton<IApiHandler, IncrementalAlterConfigsHandler>();
        return services;
    }
}
