using Gregor.Storage;

namespace Gregor.Broker.Configuration;

/// <summary>
/// Builds a <see cref="BrokerConfig"/> from a server.properties file and <c>--set name=value</c>
/// overrides (an override wins over the file). Only settings the broker honours are accepted; an
/// unknown name or a bad value stops start-up with a <see cref="BrokerConfigException"/>.
/// </summary>
public static class BrokerConfigParser
{
    /// <summary>Reads <paramref name="configFile"/> (if any), then applies <paramref name="overrides"/> (<c>name=value</c> each).</summary>
    public static BrokerConfig Load(string? configFile, IEnumerable<string> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var settings = new List<KeyValuePair<string, string>>();
        if (configFile is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(configFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BrokerConfigException($"Cannot read config file '{configFile}': {e.Message}", e);
            }
            settings.AddRange(JavaProperties.Parse(text, configFile));
        }
        foreach (string assignment in overrides)
            settings.Add(ParseOverride(assignment));
        return Parse(settings);
    }

    /// <summary>One <c>--set</c> argument: <c>name=value</c>, split at the first '='.</summary>
    public static KeyValuePair<string, string> ParseOverride(string assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        int equals = assignment.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || string.IsNullOrWhiteSpace(assignment[..equals]))
            throw new BrokerConfigException($"Invalid override '{assignment}': expected name=value.");
        return new KeyValuePair<string, string>(assignment[..equals].Trim(), assignment[(equals + 1)..].Trim());
    }

    /// <summary>Settings in the order given; a later value of the same name replaces an earlier one.</summary>
    public static BrokerConfig Parse(IEnumerable<KeyValuePair<string, string>> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in settings)
        {
            if (!BrokerSettings.IsKnown(name))
                throw new BrokerConfigException($"Unknown setting '{name}' (value '{value}'): Gregor does not support it.");
            given[name] = value;
        }

        var config = new BrokerConfig { Explicit = given };
        config = config with { NodeId = NodeId(given) };
        if (given.TryGetValue(BrokerSettings.Listeners, out string? listeners))
            config = config with { Listeners = ListenerParser.Parse(BrokerSettings.Listeners, listeners) };
        if (given.TryGetValue(BrokerSettings.AdvertisedListeners, out string? advertised))
            config = config with { AdvertisedListeners = Advertised(advertised, config.Listeners) };
        if (LogDirs(given) is { } dirs)
            config = config with { LogDirs = dirs };
        if (given.TryGetValue(BrokerSettings.NumPartitions, out string? partitions))
            config = config with { NumPartitions = SettingValue.Int(BrokerSettings.NumPartitions, partitions, 1) };
        if (given.TryGetValue(BrokerSettings.DefaultReplicationFactor, out string? rf))
            config = config with { DefaultReplicationFactor = (short)SettingValue.Int(BrokerSettings.DefaultReplicationFactor, rf, 1, short.MaxValue) };
        if (given.TryGetValue(BrokerSettings.AutoCreateTopicsEnable, out string? autoCreate))
            config = config with { AutoCreateTopicsEnable = SettingValue.Bool(BrokerSettings.AutoCreateTopicsEnable, autoCreate) };
        if (given.TryGetValue(BrokerSettings.MessageMaxBytes, out string? maxMessage))
            config = config with { MessageMaxBytes = SettingValue.Int(BrokerSettings.MessageMaxBytes, maxMessage, 0) };
        config = NetworkSettingsParser.Apply(config, given);
        if (given.TryGetValue(BrokerSettings.MaxRequestPartitions, out string? maxEntries))
            config = config with { MaxRequestPartitions = SettingValue.Int(BrokerSettings.MaxRequestPartitions, maxEntries, 1) };
        if (given.TryGetValue(BrokerSettings.LogRetentionCheckIntervalMs, out string? check))
            config = config with { LogRetentionCheckIntervalMs = SettingValue.Long(BrokerSettings.LogRetentionCheckIntervalMs, check, 1) };
        if (given.TryGetValue(BrokerSettings.LogCleanerBackoffMs, out string? backoff))
            config = config with { LogCleanerBackoffMs = SettingValue.Long(BrokerSettings.LogCleanerBackoffMs, backoff, 0) };
        if (given.TryGetValue(BrokerSettings.NumRecoveryThreadsPerDataDir, out string? recoveryThreads))
            config = config with { NumRecoveryThreadsPerDataDir = SettingValue.Int(BrokerSettings.NumRecoveryThreadsPerDataDir, recoveryThreads, 1) };
        if (given.TryGetValue(BrokerSettings.ProducerIdExpirationMs, out string? producerExpiry))
            config = config with { ProducerIdExpirationMs = SettingValue.Int(BrokerSettings.ProducerIdExpirationMs, producerExpiry, 1) };
        if (given.TryGetValue(BrokerSettings.ProducerStateMaxEntries, out string? producerEntries))
            config = config with { ProducerStateMaxEntries = SettingValue.Int(BrokerSettings.ProducerStateMaxEntries, producerEntries, 1) };
        if (given.TryGetValue(BrokerSettings.MaxBrokerPartitions, out string? maxPartitions))
            config = config with { MaxBrokerPartitions = SettingValue.Int(BrokerSettings.MaxBrokerPartitions, maxPartitions, 1) };
        if (given.TryGetValue(BrokerSettings.FetchMaxBytes, out string? fetchMax))
            config = config with { FetchMaxBytes = SettingValue.Int(BrokerSettings.FetchMaxBytes, fetchMax, 1024) };
        if (given.TryGetValue(BrokerSettings.BrokerRack, out string? rack) && rack.Trim().Length > 0)
            config = config with { BrokerRack = rack.Trim() };
        config = config with
        {
            Quorum = QuorumSettingsParser.Parse(given, config.NodeId, config.Listeners, config.AdvertisedListeners),
            BrokerLifecycle = KRaftTimingParser.Lifecycle(given),
            Replication = ReplicationSettingsParser.Parse(given),
            LeaderBalance = LeaderBalanceSettings.Parse(given),
            MetadataSnapshots = KRaftTimingParser.Snapshots(given),
        };
        var groups = GroupSettings(given);
        // The single node of the README's one command is a cluster of one broker, where Kafka's default of 3 replicas
        // for __consumer_offsets could never be placed: there the default is 1, as Kafka's shipped server.properties sets it.
        if (config.Quorum.IsImplicitSingleNode && !given.ContainsKey(BrokerSettings.OffsetsTopicReplicationFactor))
            groups = groups with { OffsetsTopicReplicationFactor = 1 };
        if (given.TryGetValue(BrokerSettings.MinInsyncReplicas, out string? minIsr))
            SettingValue.Int(BrokerSettings.MinInsyncReplicas, minIsr, 1);
        if (given.TryGetValue(BrokerSettings.UncleanLeaderElectionEnable, out string? unclean))
            SettingValue.Bool(BrokerSettings.UncleanLeaderElectionEnable, unclean);
        if (given.TryGetValue(BrokerSettings.EligibleLeaderReplicasVersion, out string? elr))
            SettingValue.Int(BrokerSettings.EligibleLeaderReplicasVersion, elr, 0, 1);
        if (given.TryGetValue(BrokerSettings.UncleanRecoveryTimeoutMs, out string? recoveryTimeout))
            SettingValue.Int(BrokerSettings.UncleanRecoveryTimeoutMs, recoveryTimeout, 0);
        return config with { Groups = groups, LogDefaults = LogDefaultsMapper.Map(given, config.MessageMaxBytes) };
    }

    private static GroupCoordinatorConfig GroupSettings(Dictionary<string, string> given)
    {
        var groups = new GroupCoordinatorConfig();
        if (given.TryGetValue(BrokerSettings.OffsetsTopicNumPartitions, out string? v))
            groups = groups with { OffsetsTopicNumPartitions = SettingValue.Int(BrokerSettings.OffsetsTopicNumPartitions, v, 1) };
        if (given.TryGetValue(BrokerSettings.OffsetsTopicReplicationFactor, out v))
            groups = groups with { OffsetsTopicReplicationFactor = (short)SettingValue.Int(BrokerSettings.OffsetsTopicReplicationFactor, v, 1, short.MaxValue) };
        if (given.TryGetValue(BrokerSettings.OffsetsTopicSegmentBytes, out v))
            groups = groups with { OffsetsTopicSegmentBytes = SettingValue.Int(BrokerSettings.OffsetsTopicSegmentBytes, v, LogConfig.MinPublicSegmentBytes) };
        if (given.TryGetValue(BrokerSettings.OffsetsRetentionMinutes, out v))
            groups = groups with { OffsetsRetentionMinutes = SettingValue.Long(BrokerSettings.OffsetsRetentionMinutes, v, 1, long.MaxValue / 60_000) };
        if (given.TryGetValue(BrokerSettings.OffsetsRetentionCheckIntervalMs, out v))
            groups = groups with { OffsetsRetentionCheckIntervalMs = SettingValue.Long(BrokerSettings.OffsetsRetentionCheckIntervalMs, v, 1) };
        if (given.TryGetValue(BrokerSettings.GroupInitialRebalanceDelayMs, out v))
            groups = groups with { GroupInitialRebalanceDelayMs = SettingValue.Int(BrokerSettings.GroupInitialRebalanceDelayMs, v, 0) };
        if (given.TryGetValue(BrokerSettings.GroupMinSessionTimeoutMs, out v))
            groups = groups with { GroupMinSessionTimeoutMs = SettingValue.Int(BrokerSettings.GroupMinSessionTimeoutMs, v, 0) };
        if (given.TryGetValue(BrokerSettings.GroupMaxSessionTimeoutMs, out v))
            groups = groups with { GroupMaxSessionTimeoutMs = SettingValue.Int(BrokerSettings.GroupMaxSessionTimeoutMs, v, 0) };
        if (given.TryGetValue(BrokerSettings.GroupMaxSize, out v))
            groups = groups with { GroupMaxSize = SettingValue.Int(BrokerSettings.GroupMaxSize, v, 1) };
        if (groups.GroupMinSessionTimeoutMs > groups.GroupMaxSessionTimeoutMs)
            throw BrokerConfigException.InvalidValue(BrokerSettings.GroupMinSessionTimeoutMs, groups.GroupMinSessionTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"is above {BrokerSettings.GroupMaxSessionTimeoutMs} ({groups.GroupMaxSessionTimeoutMs})");
        return groups;
    }

    private static int NodeId(Dictionary<string, string> given)
    {
        int? nodeId = given.TryGetValue(BrokerSettings.NodeId, out string? n) ? SettingValue.Int(BrokerSettings.NodeId, n, 0) : null;
        int? brokerId = given.TryGetValue(BrokerSettings.BrokerId, out string? b) ? SettingValue.Int(BrokerSettings.BrokerId, b, 0) : null;
        if (nodeId is int x && brokerId is int y && x != y)
            throw BrokerConfigException.InvalidValue(BrokerSettings.BrokerId, b!, $"differs from node.id {x}; set one of them");
        return nodeId ?? brokerId ?? new BrokerConfig().NodeId;
    }

    private static IReadOnlyList<ListenerEndpoint> Advertised(string value, IReadOnlyList<ListenerEndpoint> listeners)
    {
        var advertised = ListenerParser.Parse(BrokerSettings.AdvertisedListeners, value);
        foreach (var endpoint in advertised)
        {
            if (!listeners.Any(l => l.Name == endpoint.Name))
                throw BrokerConfigException.InvalidValue(BrokerSettings.AdvertisedListeners, value, $"listener {endpoint.Name} is not among listeners");
            if (endpoint.Host is "0.0.0.0" or "::")
                throw BrokerConfigException.InvalidValue(BrokerSettings.AdvertisedListeners, value, $"{endpoint.Host} is not an address a client can connect to");
        }
        return advertised;
    }

    private static List<string>? LogDirs(Dictionary<string, string> given)
    {
        // Kafka: log.dirs wins over log.dir.
        string name = given.ContainsKey(BrokerSettings.LogDirs) ? BrokerSettings.LogDirs : BrokerSettings.LogDir;
        if (!given.TryGetValue(name, out string? value)) return null;
        var dirs = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (dirs.Count == 0)
            throw BrokerConfigException.InvalidValue(name, value, "expected at least one directory");
        return dirs;
    }
}
