using Gregor.Broker.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker;

/// <summary>
/// The data plane's part of the broker: the replica manager that owns the partition logs, and the
/// handlers of Produce, Fetch and ListOffsets.
/// </summary>
public static class DataPlaneServices
{
    public static IServiceCollection AddGregorDataPlane(this IServiceCollection services, BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return services;
    }
}
