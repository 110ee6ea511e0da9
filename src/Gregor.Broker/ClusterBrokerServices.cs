using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers.Brokers;
using Gregor.Broker.Replication;
using Gregor.Broker.Replication.Fetching;
using Gregor.Metadata.Controller;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker;

/// <summary>
/// A broker of a cluster whose metadata quorum spans several nodes: a broker-only node (an observer of the quorum) or
/// a node that is also one of its voters. It follows the replicated metadata log, registers and heartbeats with the
/// active controller, serves the partitions placed on it and the groups whose offsets partitions it leads, and passes
/// admin requests on to the active controller when its own controller is not the one.
/// </summary>
public static class ClusterBrokerServices
{
    public static IServiceCollection AddGregorClusterBroker(this IServiceCollection services, BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ControlPlaneServices.AddMetadataState(services, config);
        ControllerQuorumServices.AddReplicatedMetadata(services);
        if (config.Quorum.IsController) ControllerQuorumServices.AddQuorumHandlers(services);
        else services.AddSingleton<IApiHandler, UnregisterBrokerHandler>(); // forwarded to the active controller
        services.AddSingleton<ClientServingGate>();
        services.AddSingleton<ControllerChannel>();
        services.AddSingleton(sp => new ControllerForwarder(sp.GetRequiredService<QuorumController>(), sp.GetRequiredService<ControllerChannel>(),
            sp.GetRequiredService<ILogger<ControllerForwarder>>()));
        ControlPlaneServices.AddBrokerControlHandlers(services);
        services.AddGregorDataPlane(config);
        services.AddGregorGroups(config);
        // Its controlled shutdown runs in StoppingAsync, before any service (Kestrel included) stops: the partitions are
        // still served meanwhile, and a node that is the active controller still answers its own broker.
        services.AddSingleton<BrokerLifecycleManager>();
        services.AddHostedService(sp => sp.GetRequiredService<BrokerLifecycleManager>());
        ProducerIdServices.AddClusterProducerIds(services);
        // Followers copy the partitions other brokers lead; fetches carry this broker's epoch (KIP-903).
        services.AddSingleton(sp => new ReplicaFetcherManager(sp.GetRequiredService<ReplicaManager>(), config,
            sp.GetRequiredService<ILoggerFactory>(), () => sp.GetRequiredService<BrokerLifecycleManager>().BrokerEpoch));
        services.AddHostedService(sp => sp.GetRequiredService<ReplicaFetcherManager>());
        services.AddSingleton(sp => new IsrManager(sp.GetRequiredService<ReplicaManager>(), sp.GetRequiredService<ControllerChannel>(), config,
            () => sp.GetRequiredService<BrokerLifecycleManager>().BrokerEpoch, sp.GetRequiredService<ILogger<IsrManager>>()));
        services.AddHostedService(sp => sp.GetRequiredService<IsrManager>());
        return services;
    }
}
