using System.Collections.Frozen;
using static Gregor.Metadata.Configs.ConfigValidators;

namespace Gregor.Metadata.Configs;

/// <summary>
/// The broker configs DescribeConfigs reports for a broker resource: every broker synonym of a topic
/// config (all dynamically updatable, cluster-wide or per broker, as in Kafka) plus the broker's own
/// static settings. The broker's settings that only take effect at start are read-only here.
/// </summary>
public static class BrokerConfigCatalog
{
    public static IReadOnlyList<ConfigDefinition> All { get; } = Build();

    private static readonly FrozenDictionary<string, ConfigDefinition> ByName = All.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    public static ConfigDefinition? Find(string name) => ByName.GetValueOrDefault(name);

    private static List<ConfigDefinition> Build()
    {
        var result = new List<ConfigDefinition>
        {
            new("node.id", ConfigType.Int, null, Int(0), "This node's id in the cluster."),
            new("process.roles", ConfigType.List, null, ListOf(false, "broker", "controller"), "The roles this process plays."),
            new("listeners", ConfigType.String, null, Any(), "Where the broker listens: NAME://host:port, comma-separated."),
            new("advertised.listeners", ConfigType.String, null, Any(), "The addresses clients are told to use."),
            new("log.dirs", ConfigType.String, null, Any(), "The directories partition logs are kept in."),
            new("log.dir", ConfigType.String, "/tmp/kafka-logs", Any(), "The log directory when log.dirs is not set."),
            new("num.partitions", ConfigType.Int, "1", Int(1), "Partitions of a topic created without a count."),
            new("default.replication.factor", ConfigType.Int, "1", Int(1), "Replication factor of a topic created without one."),
            new("auto.create.topics.enable", ConfigType.Boolean, "true", Boolean(), "Whether Metadata requests create unknown topics."),
            new("delete.topic.enable", ConfigType.Boolean, "true", Boolean(), "Whether topics can be deleted."),
            new("socket.request.max.bytes", ConfigType.Int, "104857600", Int(1), "The largest request the broker reads."),
            new("connections.max.idle.ms", ConfigType.Long, "600000", Long(long.MinValue), "Idle connections are closed after this long."),
            new("max.request.partitions", ConfigType.Int, "200000", Int(1), "The most partitions (and other array entries) one request may name."),
            new("broker.rack", ConfigType.String, null, Any(), "The rack (or zone) of this broker."),
            new("producer.id.expiration.ms", ConfigType.Int, "86400000", Int(1), "A partition forgets an idempotent producer whose last batch is this old."),
            new("producer.state.max.entries", ConfigType.Int, "500000", Int(1), "The idempotent producer entries (per producer and partition) this broker holds; past it new producer ids are refused."),
            new("controller.quorum.voters", ConfigType.List, "", Any(), "The static metadata quorum: id@host:port, comma-separated."),
            new("controller.quorum.bootstrap.servers", ConfigType.List, "", Any(), "Controllers to ask for the dynamic metadata quorum: host:port, comma-separated."),
            new("controller.listener.names", ConfigType.String, null, Any(), "The listeners controllers serve on."),
            new("controller.quorum.election.timeout.ms", ConfigType.Int, "1000", Int(1), "How long a voter waits without a leader before standing for election."),
            new("controller.quorum.fetch.timeout.ms", ConfigType.Int, "2000", Int(1), "How long a voter waits without fetching from the leader before standing for election."),
            new("controller.quorum.election.backoff.max.ms", ConfigType.Int, "1000", Int(1), "The longest a candidate waits before the next election."),
            new("broker.session.timeout.ms", ConfigType.Int, "9000", Int(1), "A broker without a heartbeat for this long is fenced."),
            new("broker.heartbeat.interval.ms", ConfigType.Int, "2000", Int(1), "How often a broker sends the controller a heartbeat."),
            new("metadata.log.max.snapshot.interval.ms", ConfigType.Long, "3600000", Long(0), "The longest time between metadata snapshots; 0: no time-based snapshots."),
            new("metadata.log.max.record.bytes.between.snapshots", ConfigType.Long, "20971520", Long(1), "Metadata log bytes after the last snapshot that trigger the next."),
        };
        // Each topic config's broker synonyms; the ones with no default of their own (log.retention.ms)
        // defer to the next synonym, as Kafka's do.
        var brokerDefaults = new Dictionary<string, (ConfigType Type, string? Default, Func<string, string?> Validate)>(StringComparer.Ordinal)
        {
            ["log.retention.ms"] = (ConfigType.Long, null, Long(-1)),
            ["log.retention.minutes"] = (ConfigType.Int, null, Int(-1)),
            ["log.retention.hours"] = (ConfigType.Int, "168", Int(-1)),
            ["log.roll.ms"] = (ConfigType.Long, null, Long(1)),
            ["log.roll.hours"] = (ConfigType.Int, "168", Int(1)),
            ["log.roll.jitter.ms"] = (ConfigType.Long, null, Long(0)),
            ["log.roll.jitter.hours"] = (ConfigType.Int, "0", Int(0)),
            ["log.flush.interval.ms"] = (ConfigType.Long, null, Long(0)),
            ["log.flush.scheduler.interval.ms"] = (ConfigType.Long, "9223372036854775807", Long(0)),
        };
        foreach (var topicConfig in TopicConfigCatalog.All)
        {
            for (int i = 0; i < topicConfig.Synonyms.Count; i++)
            {
                string name = topicConfig.Synonyms[i].Name;
                var (type, @default, validate) = brokerDefaults.TryGetValue(name, out var special)
                    ? special : (topicConfig.Type, topicConfig.Default, topicConfig.Validate);
                result.Add(new ConfigDefinition(name, type, @default, validate,
                    $"The cluster's default for the topic config {topicConfig.Name}.")
                {
                    // A broker config's synonyms are itself and the less specific ones after it.
                    Synonyms = topicConfig.Synonyms.Skip(i).ToList(),
                    DynamicallyUpdatable = true,
                });
            }
        }
        return result;
    }

    /// <summary>Checks a dynamic change of one broker config; null when good, else the error and its message.</summary>
    public static (Gregor.Protocol.ErrorCode Error, string Message)? CheckDynamic(string name, string? value)
    {
        var definition = Find(name);
        if (definition is null) return (Gregor.Protocol.ErrorCode.InvalidConfig, $"Unknown broker config name: {name}");
        if (!definition.DynamicallyUpdatable) return (Gregor.Protocol.ErrorCode.InvalidRequest, $"Cannot update these configs dynamically: {name}");
        if (value is null) return null;
        string? problem = definition.Validate(value);
        return problem is null ? null : (Gregor.Protocol.ErrorCode.InvalidConfig, $"Invalid value {value} for configuration {name}: {problem}");
    }
}
