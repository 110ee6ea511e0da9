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
        services.AddSingleton(config.Groups);
        services.AddSingleton<IGroupLog, OffsetsTopicLog>();
        services.AddSingleton<GroupCoordinator>();
        services.AddSingleton<GroupCoordinatorService>();
        services.AddHostedService(provider => provider.GetRequiredService<GroupCoordinatorService>());
        services.AddSingleton<IApiHandler, FindCoordinatorHandler>();
        services.AddSingleton<IApiHandler, JoinGroupHandler>();
        services.AddSingleton<IApiHandler, SyncGroupHandler>();
        services.AddSingleton<IApiHandler, HeartbeatHandler>();
        services.AddSingleton<IApiHandler, LeaveGroupHandler>();
        services.AddSingleton<IApiHandler, OffsetCommitHandler>();
        services.AddSingleton<IApiHandler, OffsetFetchHandler>();
        services.AddSingleton<IApiHandler, DescribeGroupsHandler>();
        services.AddSingleton<IApiHandler, ListGroupsHandler>();
        services.AddSingleton<IApiHandler, DeleteGroupsHandler>();
        services.AddSingleton<IApiHandler, OffsetDeleteHandler>();
        return services;
    }
}
