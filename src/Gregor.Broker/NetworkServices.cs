using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Network;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gregor.Broker;

/// <summary>The network's part of the broker: the settings, the handler registry, ApiVersions and the connection handler.</summary>
public static class NetworkServices
{
    public static IServiceCollection AddGregorNetwork(this IServiceCollection services, BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        services.TryAddSingleton(config);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiHandlerRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IApiHandler, ApiVersionsHandler>());
        services.TryAddSingleton<KafkaConnectionHandler>();
        // Kestrel's socket transport takes its buffers from this factory: large blocks, so a big request is a few receive calls, not hundreds.
        services.AddSingleton<IMemoryPoolFactory<byte>, ReceiveBufferPoolFactory>();
        return services;
    }
}
