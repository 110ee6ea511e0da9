using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Broker.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gregor.Broker;

/// <summary>
/// The group coordinator's part of the broker: <c>__consumer_offsets</c>, the classic group protocol and
/// committed offsets, and the handlers of the group APIs.
/// </summary>
public static class GroupServices
{
    public static IServiceCollection AddGregorGroups(this IServiceCollection services, BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        services.TryAddSingleton(config);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OffsetsTopicCreator>();
        services.AddSingleton<IApiHandler, FindCoordinatorHandler>();
        return services;
    }
}
