namespace Gregor.Broker.Configuration;

/// <summary>How followers copy partitions from their leaders and how leaders judge them, under Kafka's names and defaults.</summary>
public sealed record ReplicationSettings
{
    /// <summary><c>num.replica.fetchers</c>: fetchers (each one connection) per source broker; partitions are spread over them by hash.</summary>
    public int NumReplicaFetchers { get; init; } = 1;

    /// <summary><c>replica.fetch.max.bytes</c>: bytes asked of one partition per fetch (a larger first batch still comes whole).</summary>
    public int FetchMaxBytes { get; init; } = 1024 * 1024;

    /// <summary><c>replica.fetch.response.max.bytes</c>: bytes asked of one whole fetch response.</summary>
    public int FetchResponseMaxBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary><c>replica.fetch.wait.max.ms</c>: how long the leader may hold a follower's fetch waiting for data.</summary>
    public int FetchWaitMaxMs { get; init; } = 500;

    /// <summary><c>replica.fetch.min.bytes</c>: bytes the leader waits for before answering a follower early.</summary>
    public int FetchMinBytes { get; init; } = 1;

    /// <summary><c>replica.fetch.backoff.ms</c>: the pause after a fetch failed (connection, leader gone, fenced epoch).</summary>
    public int FetchBackoffMs { get; init; } = 1000;

    /// <summary><c>replica.lag.time.max.ms</c>: a follower not caught up for this long leaves the ISR.</summary>
    public long LagTimeMaxMs { get; init; } = 30_000;

    /// <summary><c>inter.broker.listener.name</c>: the listener followers fetch on; null means each leader's first listener.</summary>
    public string? InterBrokerListenerName { get; init; }
}

/// <summary>Reads <see cref="ReplicationSettings"/> from the given settings.</summary>
internal static class ReplicationSettingsParser
{
    public static ReplicationSettings Parse(IReadOnlyDictionary<string, string> given)
    {
        var settings = new ReplicationSettings();
        if (given.TryGetValue(BrokerSettings.NumReplicaFetchers, out string? v))
            settings = settings with { NumReplicaFetchers = SettingValue.Int(BrokerSettings.NumReplicaFetchers, v, 1, 64) };
        if (given.TryGetValue(BrokerSettings.ReplicaFetchMaxBytes, out v))
            settings = settings with { FetchMaxBytes = SettingValue.Int(BrokerSettings.ReplicaFetchMaxBytes, v, 0) };
        if (given.TryGetValue(BrokerSettings.ReplicaFetchResponseMaxBytes, out v))
            settings = settings with { FetchResponseMaxBytes = SettingValue.Int(BrokerSettings.ReplicaFetchResponseMaxBytes, v, 0) };
        if (given.TryGetValue(BrokerSettings.ReplicaFetchWaitMaxMs, out v))
            settings = settings with { FetchWaitMaxMs = SettingValue.Int(BrokerSettings.ReplicaFetchWaitMaxMs, v, 0) };
        if (given.TryGetValue(BrokerSettings.ReplicaFetchMinBytes, out v))
            settings = settings with { FetchMinBytes = SettingValue.Int(BrokerSettings.ReplicaFetchMinBytes, v, 0) };
        if (given.TryGetValue(BrokerSettings.ReplicaFetchBackoffMs, out v))
            settings = settings with { FetchBackoffMs = SettingValue.Int(BrokerSettings.ReplicaFetchBackoffMs, v, 0) };
        if (given.TryGetValue(BrokerSettings.ReplicaLagTimeMaxMs, out v))
            settings = settings with { LagTimeMaxMs = SettingValue.Long(BrokerSettings.ReplicaLagTimeMaxMs, v, 1) };
        if (given.TryGetValue(BrokerSettings.InterBrokerListenerName, out v) && v.Trim().Length > 0)
            settings = settings with { InterBrokerListenerName = v.Trim() };
        // Kafka's rule: the leader's wait must end well before a follower counts as lagging.
        if (settings.FetchWaitMaxMs >= settings.LagTimeMaxMs)
            throw BrokerConfigException.InvalidValue(BrokerSettings.ReplicaFetchWaitMaxMs, settings.FetchWaitMaxMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"must be less than {BrokerSettings.ReplicaLagTimeMaxMs} ({settings.LagTimeMaxMs})");
        return settings;
    }
}
