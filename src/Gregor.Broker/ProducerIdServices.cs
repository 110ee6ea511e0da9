using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Producers;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker;

/// <summary>
/// Idempotent producers' ids: the broker's <see cref="ProducerIdManager"/>, fed with blocks by the active controller
/// (<see cref="ControllerProducerIdBlockSource"/>), and InitProducerId, which hands them out.
/// </summary>
internal static class ProducerIdServices
{
    /// <summary>A single node: its own controller is the only one, and its broker epoch is in the image it shares with it.</summary>
    public static void AddSingleNodeProducerIds(IServiceCollection services)
    {
        services.AddSingleton<IProducerIdBlockSource>(sp =>
        {
            var config = sp.GetRequiredService<BrokerConfig>();
            var metadata = sp.GetRequiredService<IMetadataView>();
            return new ControllerProducerIdBlockSource(config.NodeId,
                () => metadata.Current.Brokers.TryGetValue(config.NodeId, out BrokerRegistration? self) ? self.Epoch : -1,
                sp.GetRequiredService<QuorumController>(), remote: null, sp.GetRequiredService<TimeProvider>());
        });
        AddManagerAndHandler(services);
    }

    /// <summary>
    /// A cluster's broker: blocks from the active controller over the controller channel, or from its own controller
    /// while that is the active one; the broker epoch is the one its lifecycle manager registered.
    /// </summary>
    public static void AddClusterProducerIds(IServiceCollection services)
    {
        services.AddSingleton<IProducerIdBlockSource>(sp =>
        {
            var config = sp.GetRequiredService<BrokerConfig>();
            var lifecycle = sp.GetRequiredService<BrokerLifecycleManager>();
            var channel = sp.GetRequiredService<ControllerChannel>();
            return new ControllerProducerIdBlockSource(config.NodeId, () => lifecycle.BrokerEpoch,
                config.Quorum.IsController ? sp.GetRequiredService<QuorumController>() : null,
                (request, cancellationToken) => channel.SendAsync<AllocateProducerIdsRequest, AllocateProducerIdsResponse>(request,
                    AllocateProducerIdsRequest.HighestVersion, cancellationToken),
                sp.GetRequiredService<TimeProvider>());
        });
        AddManagerAndHandler(services);
    }

    private static void AddManagerAndHandler(IServiceCollection services)
    {
        services.AddSingleton(sp => new ProducerIdManager(sp.GetRequiredService<IProducerIdBlockSource>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IApiHandler, InitProducerIdHandler>();
    }
}
