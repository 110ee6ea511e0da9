using System.Globalization;

namespace Gregor.Broker.Configuration;

/// <summary>The memory budget and the limits in force, in one line for the start-up log (derived or set, the operator sees what applies).</summary>
public static class LimitsSummary
{
    public static string Describe(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string source = config.Explicit.ContainsKey(BrokerSettings.MemoryBudgetBytes) ? "set" : "default: a quarter of the memory available, at most 512 MiB";
        var listeners = config.ListenerLimits.Select(l =>
            $", listener {l.Key}: max.connections={Count(l.Value.MaxConnections)} max.connection.creation.rate={Count(l.Value.MaxConnectionCreationRate)}");
        var overrides = config.MaxConnectionsPerIpOverrides.Count == 0 ? ""
            : " (overrides: " + string.Join(",", config.MaxConnectionsPerIpOverrides.Select(o => $"{o.Key}:{o.Value}")) + ")";
        return string.Create(CultureInfo.InvariantCulture,
            $"memory.budget.bytes={config.MemoryBudgetBytes} ({Bytes(config.MemoryBudgetBytes)}, {source}): " +
            $"queued.max.request.bytes={(config.QueuedMaxRequestBytes > 0 ? config.QueuedMaxRequestBytes.ToString(CultureInfo.InvariantCulture) : "unbounded")}, " +
            $"socket.request.max.bytes={config.SocketRequestMaxBytes}, receive blocks {Bytes(config.ReceiveBufferBytes)}, " +
            $"max.connections={Count(config.MaxConnections)}, max.connections.per.ip={Count(config.MaxConnectionsPerIp)}{overrides}, " +
            $"max.connection.creation.rate={Count(config.MaxConnectionCreationRate)}{string.Concat(listeners)}, " +
            $"connections.max.idle.ms={config.ConnectionsMaxIdleMs}, socket.write.timeout.ms={config.SocketWriteTimeoutMs}");
    }

    private static string Count(int value) => value == int.MaxValue ? "unbounded" : value.ToString(CultureInfo.InvariantCulture);

    private static string Bytes(long value) => string.Create(CultureInfo.InvariantCulture, $"{value / (1024.0 * 1024.0):0.#} MiB");
}
