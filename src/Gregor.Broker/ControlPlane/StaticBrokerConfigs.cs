using System.Globalization;
using Gregor.Broker.Configuration;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// The broker's static configs as DescribeConfigs reports them: what server.properties (and overrides) set,
/// plus the identity settings a running broker always has (node.id, listeners, log.dirs, process.roles).
/// </summary>
internal static class StaticBrokerConfigs
{
    public static IReadOnlyDictionary<string, string> Of(BrokerConfig config)
    {
        var result = new Dictionary<string, string>(config.Explicit, StringComparer.Ordinal);
        result.TryAdd("node.id", config.NodeId.ToString(CultureInfo.InvariantCulture));
        result.TryAdd("process.roles", config.Quorum.RolesText);
        result.TryAdd("listeners", string.Join(",", config.Listeners.Select(l => $"{l.Name}://{l.Host}:{l.Port.ToString(CultureInfo.InvariantCulture)}")));
        result.TryAdd("log.dirs", string.Join(",", config.LogDirs));
        return result;
    }
}
