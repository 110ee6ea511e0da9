using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Network;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gregor.Broker;

/// <summary>
/// The network's part of the broker: the settings, the handler registry, ApiVersions, the connection handler,
/// and the memory and connection limits every connection shares.
/// </summary>
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
        services.TryAddSingleton(s => new RequestMemory(config.QueuedMaxRequestBytes, config.SocketRequestMaxBytes, s.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(s =>
        {
            var pool = new FrameBufferPool(FrameRetainBytes(config), s.GetRequiredService<TimeProvider>());
            s.GetRequiredService<MemoryTrimmer>().Add(pool);
            return pool;
        });
        services.TryAddSingleton<MemoryTrimmer>();
        services.TryAddSingleton<ConnectionQuotas>();
        services.TryAddSingleton<ConnectionRateLimiter>();
        services.TryAddSingleton(new ReceiveBlockLimit(config.ReceiveBufferBytes));
        // Kestrel's socket transport takes its buffers from this factory: large blocks, so a big request is a few receive calls, not hundreds.
        services.AddSingleton<IMemoryPoolFactory<byte>, ReceiveBufferPoolFactory>();
        return services;
    }

    /// <summary>Idle request buffers kept for reuse: an eighth of the request memory, at most 64 MiB.</summary>
    private static long FrameRetainBytes(BrokerConfig config) =>
        config.QueuedMaxRequestBytes > 0 ? Math.Min(config.QueuedMaxRequestBytes / 8, 64L << 20) : 64L << 20;
}
