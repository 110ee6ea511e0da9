using Gregor.Broker.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker;

/// <summary>
/// The control plane's part of the broker: the metadata log and image (<see cref="Gregor.Metadata.IMetadataView"/>),
/// the controller, and the handlers of the admin and metadata APIs.
/// </summary>
public static class ControlPlaneServices
{
    public static IServiceCollection AddGregorControlPlane(this IServiceCollection services, BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return services;
    }
}
