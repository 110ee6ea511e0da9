using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gregor.Broker;

/// <summary>
/// The control plane's part of the broker: the metadata log and image (<see cref="Gregor.Metadata.IMetadataView"/>),
/// the controller, and the handlers of the admin and metadata APIs.
/// </summary>
public static class ControlPlaneServices
{
    public static IServiceCollection AddGregorControlPlane(this IServiceCollection services, BrokerConfig config)
    {
        AddMetadataState(services, config);
        services.AddSingleton<MetadataQuorumStatus>();
        services.AddSingleton<IQuorumStatus>(sp => sp.GetRequiredService<MetadataQuorumStatus>());
        services.AddHostedService<ControlPlaneHost>();
        services.AddSingleton(sp => new ControllerForwarder(sp.GetRequiredService<QuorumController>()));
        AddBrokerControlHandlers(services);
        ProducerIdServices.AddSingleNodeProducerIds(services);
        return services;
    }

    /// <summary>The admin and metadata APIs a broker answers (a cluster's brokers forward what needs the controller).</summary>
    internal static void AddBrokerControlHandlers(IServiceCollection services)
    {
        services.AddSingleton<IApiHandler, MetadataHandler>();
        services.AddSingleton<IApiHandler, CreateTopicsHandler>();
        services.AddSingleton<IApiHandler, DeleteTopicsHandler>();
        services.AddSingleton<IApiHandler, CreatePartitionsHandler>();
        services.AddSingleton<IApiHandler, ElectLeadersHandler>();
        services.AddSingleton<IApiHandler, AlterPartitionReassignmentsHandler>();
        services.AddSingleton<IApiHandler, ListPartitionReassignmentsHandler>();
        services.AddSingleton<IApiHandler, DescribeConfigsHandler>();
        services.AddSingleton<IApiHandler, AlterConfigsHandler>();
        services.AddSingleton<IApiHandler, IncrementalAlterConfigsHandler>();
        services.AddSingleton<IApiHandler, DescribeClusterHandler>();
        services.AddSingleton<IApiHandler, DescribeQuorumHandler>();
    }

    /// <summary>
    /// What every node with a metadata log registers, whatever its roles: the image and its publisher, the controller
    /// settings and the controller, and what stops the node when the metadata log fails.
    /// </summary>
    internal static void AddMetadataState(IServiceCollection services, BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        services.TryAddSingleton(config);
        services.TryAddSingleton(TimeProvider.System);
        // Until the log is replayed at start the image is empty; subscribers then get the replayed image as a difference.
        services.AddSingleton(new MetadataPublisher(MetadataImage.Empty("", config.NodeId)));
        services.AddSingleton<IMetadataView>(sp => sp.GetRequiredService<MetadataPublisher>());
        services.AddSingleton(new ControllerSettings(config.NodeId)
        {
            NumPartitions = config.NumPartitions,
            DefaultReplicationFactor = config.DefaultReplicationFactor,
            LogDefaults = config.LogDefaults,
            BrokerSessionTimeout = TimeSpan.FromMilliseconds(config.BrokerLifecycle.SessionTimeoutMs),
            MinInsyncReplicas = config.Explicit.TryGetValue(BrokerSettings.MinInsyncReplicas, out string? minIsr)
                ? SettingValue.Int(BrokerSettings.MinInsyncReplicas, minIsr, 1) : 1,
            UncleanLeaderElectionEnable = config.Explicit.TryGetValue(BrokerSettings.UncleanLeaderElectionEnable, out string? unclean)
                && SettingValue.Bool(BrokerSettings.UncleanLeaderElectionEnable, unclean),
            EligibleLeaderReplicas = !config.Explicit.TryGetValue(BrokerSettings.EligibleLeaderReplicasVersion, out string? elr)
                || SettingValue.Int(BrokerSettings.EligibleLeaderReplicasVersion, elr, 0, 1) == 1,
            UncleanRecoveryTimeout = config.Explicit.TryGetValue(BrokerSettings.UncleanRecoveryTimeoutMs, out string? recoveryTimeout)
                ? TimeSpan.FromMilliseconds(SettingValue.Int(BrokerSettings.UncleanRecoveryTimeoutMs, recoveryTimeout, 0))
                : TimeSpan.FromMinutes(5),
        });
        services.AddSingleton(sp => new QuorumController(sp.GetRequiredService<MetadataPublisher>(), sp.GetRequiredService<ControllerSettings>(),
            sp.GetRequiredService<TimeProvider>(), new Random(), sp.GetService<IReplicaCapacity>()));
        services.AddSingleton<MetadataFailureStop>();
    }
}
