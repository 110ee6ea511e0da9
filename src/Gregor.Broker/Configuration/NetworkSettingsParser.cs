using System.Globalization;

namespace Gregor.Broker.Configuration;

/// <summary>
/// The network's settings: the memory budget and what derives from it (request memory, the largest request,
/// connection limits), idle and write timeouts. A limit given explicitly wins over the derived one.
/// </summary>
internal static class NetworkSettingsParser
{
    public static BrokerConfig Apply(BrokerConfig config, IReadOnlyDictionary<string, string> given)
    {
        long budget = given.TryGetValue(BrokerSettings.MemoryBudgetBytes, out string? b)
            ? SettingValue.Long(BrokerSettings.MemoryBudgetBytes, b, MemoryBudget.Minimum)
            : MemoryBudget.MachineDefault();
        // Kafka: 0 or less leaves request memory unbounded.
        long queued = given.TryGetValue(BrokerSettings.QueuedMaxRequestBytes, out string? q)
            ? SettingValue.Long(BrokerSettings.QueuedMaxRequestBytes, q, long.MinValue)
            : MemoryBudget.QueuedMaxRequestBytes(budget);
        int maxRequest = given.TryGetValue(BrokerSettings.SocketRequestMaxBytes, out string? m)
            ? SettingValue.Int(BrokerSettings.SocketRequestMaxBytes, m, RequestLimits.MinimumFrameBytes)
            : MemoryBudget.SocketRequestMaxBytes(queued);
        // Kafka's rule: a request that can never fit the budget would wait for ever.
        if (queued > 0 && queued < maxRequest)
            throw BrokerConfigException.InvalidValue(BrokerSettings.QueuedMaxRequestBytes, queued.ToString(CultureInfo.InvariantCulture),
                $"must be at least {BrokerSettings.SocketRequestMaxBytes} ({maxRequest}), or 0 or less for no limit");

        int perIp = Int(given, BrokerSettings.MaxConnectionsPerIp, 0) ?? config.MaxConnectionsPerIp;
        var overrides = given.TryGetValue(BrokerSettings.MaxConnectionsPerIpOverrides, out string? o)
            ? ParseOverrides(o)
            : config.MaxConnectionsPerIpOverrides;
        if (perIp == 0 && overrides.Count == 0)
            throw BrokerConfigException.InvalidValue(BrokerSettings.MaxConnectionsPerIp, "0",
                $"can be 0 only when {BrokerSettings.MaxConnectionsPerIpOverrides} names the hosts that may connect");

        return config with
        {
            MemoryBudgetBytes = budget,
            QueuedMaxRequestBytes = queued,
            SocketRequestMaxBytes = maxRequest,
            ReceiveBufferBytes = MemoryBudget.ReceiveBufferBytes(budget),
            MaxConnections = Int(given, BrokerSettings.MaxConnections, 0) ?? MemoryBudget.MaxConnections(budget, MemoryBudget.OpenFileLimit()),
            MaxConnectionsPerIp = perIp,
            MaxConnectionsPerIpOverrides = overrides,
            MaxConnectionCreationRate = Int(given, BrokerSettings.MaxConnectionCreationRate, 1) ?? config.MaxConnectionCreationRate,
            ListenerLimits = ListenerLimits(given, config.Listeners),
            ConnectionsMaxIdleMs = IdleMs(given) ?? config.ConnectionsMaxIdleMs,
            SocketWriteTimeoutMs = given.TryGetValue(BrokerSettings.SocketWriteTimeoutMs, out string? w)
                ? SettingValue.Long(BrokerSettings.SocketWriteTimeoutMs, w, 1)
                : config.SocketWriteTimeoutMs,
        };
    }

    private static int? Int(IReadOnlyDictionary<string, string> given, string name, int min) =>
        given.TryGetValue(name, out string? value) ? SettingValue.Int(name, value, min) : null;

    /// <summary>Kafka's <c>connections.max.idle.ms</c>: -1 (any negative) never closes an idle connection; 0 is refused.</summary>
    private static long? IdleMs(IReadOnlyDictionary<string, string> given)
    {
        if (!given.TryGetValue(BrokerSettings.ConnectionsMaxIdleMs, out string? value)) return null;
        long ms = SettingValue.Long(BrokerSettings.ConnectionsMaxIdleMs, value, long.MinValue);
        if (ms == 0) throw BrokerConfigException.InvalidValue(BrokerSettings.ConnectionsMaxIdleMs, value, "must be positive, or -1 to never close idle connections");
        return ms < 0 ? -1 : ms;
    }

    /// <summary>Kafka's format: <c>host:count</c> pairs separated by commas; the count follows the last ':' (so IPv6 addresses work).</summary>
    internal static IReadOnlyDictionary<string, int> ParseOverrides(string value)
    {
        var overrides = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (string entry in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = entry.LastIndexOf(':');
            string host = colon > 0 ? entry[..colon].Trim() : "";
            if (host.Length == 0 || !int.TryParse(entry[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
                throw BrokerConfigException.InvalidValue(BrokerSettings.MaxConnectionsPerIpOverrides, value, $"'{entry}' is not host:count");
            if (!overrides.TryAdd(host, count))
                throw BrokerConfigException.InvalidValue(BrokerSettings.MaxConnectionsPerIpOverrides, value, $"host {host} appears twice");
        }
        return overrides;
    }

    private static Dictionary<string, ListenerConnectionLimits> ListenerLimits(IReadOnlyDictionary<string, string> given, IReadOnlyList<ListenerEndpoint> listeners)
    {
        var limits = new Dictionary<string, ListenerConnectionLimits>(StringComparer.Ordinal);
        foreach ((string name, string value) in given)
        {
            if (!ListenerSetting.TryParse(name, out string listener, out string setting)) continue;
            if (!listeners.Any(l => l.Name == listener))
                throw BrokerConfigException.InvalidValue(name, value, $"there is no listener {listener} in '{BrokerSettings.Listeners}'");
            var current = limits.GetValueOrDefault(listener) ?? new ListenerConnectionLimits();
            limits[listener] = setting == BrokerSettings.MaxConnections
                ? current with { MaxConnections = SettingValue.Int(name, value, 0) }
                : current with { MaxConnectionCreationRate = SettingValue.Int(name, value, 1) };
        }
        return limits;
    }
}
