namespace Gregor.Broker.Configuration;

/// <summary>Reads the broker's heartbeat settings and the metadata snapshot triggers.</summary>
internal static class KRaftTimingParser
{
    public static BrokerLifecycleSettings Lifecycle(IReadOnlyDictionary<string, string> given)
    {
        var settings = new BrokerLifecycleSettings();
        // Kafka leaves both unchecked; Gregor wants positive values and a heartbeat more often than the session ends.
        if (given.TryGetValue(BrokerSettings.BrokerSessionTimeoutMs, out string? session))
            settings = settings with { SessionTimeoutMs = SettingValue.Int(BrokerSettings.BrokerSessionTimeoutMs, session, 1) };
        if (given.TryGetValue(BrokerSettings.BrokerHeartbeatIntervalMs, out string? heartbeat))
            settings = settings with { HeartbeatIntervalMs = SettingValue.Int(BrokerSettings.BrokerHeartbeatIntervalMs, heartbeat, 1) };
        if (settings.HeartbeatIntervalMs >= settings.SessionTimeoutMs)
            throw BrokerConfigException.InvalidValue(BrokerSettings.BrokerHeartbeatIntervalMs,
                settings.HeartbeatIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"must be less than {BrokerSettings.BrokerSessionTimeoutMs} ({settings.SessionTimeoutMs}), or the broker is fenced between heartbeats");
        return settings;
    }

    public static MetadataSnapshotSettings Snapshots(IReadOnlyDictionary<string, string> given)
    {
        var settings = new MetadataSnapshotSettings();
        // Kafka's ranges: the interval at least 0 (0: no time-based snapshots), the bytes at least 1.
        if (given.TryGetValue(BrokerSettings.MetadataLogMaxSnapshotIntervalMs, out string? interval))
            settings = settings with { MaxIntervalMs = SettingValue.Long(BrokerSettings.MetadataLogMaxSnapshotIntervalMs, interval, 0) };
        if (given.TryGetValue(BrokerSettings.MetadataLogMaxRecordBytesBetweenSnapshots, out string? bytes))
            settings = settings with { MaxRecordBytesBetweenSnapshots = SettingValue.Long(BrokerSettings.MetadataLogMaxRecordBytesBetweenSnapshots, bytes, 1) };
        return settings;
    }
}
