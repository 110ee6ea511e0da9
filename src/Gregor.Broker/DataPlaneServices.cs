using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Replication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gregor.Broker;

/// <summary>
/// The data plane's part of the broker: the replica manager that owns the partition logs, and the
/// handlers of Produce, Fetch, ListOffsets and OffsetForLeaderEpoch.
/// </summary>
public static class DataPlaneServices
{
    public static IServiceCollection AddGregorDataPlane(this IServiceCollection services, BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        services.TryAddSingleton(config);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ReplicaManager>();
        services.AddSingleton<Gregor.Metadata.Controller.IReplicaCapacity, ReplicaCapacity>();
        services.AddSingleton<ReplicaManagerService>();
        services.AddHostedService(provider => provider.GetRequiredService<ReplicaManagerService>());
        services.TryAddSingleton<Producers.IssuedProducerIds>();
        services.AddSingleton<IApiHandler, ProduceHandler>();
        services.AddSingleton<IApiHandler, FetchHandler>();
        services.AddSingleton<IApiHandler, ListOffsetsHandler>();
        services.AddSingleton<IApiHandler, OffsetForLeaderEpochHandler>();
        return services;
    }
}
