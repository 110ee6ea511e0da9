using System.Collections.Frozen;
using static Gregor.Metadata.Configs.ConfigValidators;

namespace Gregor.Metadata.Configs;

/// <summary>
/// The topic configs Gregor accepts, with Kafka's names, types, defaults and ranges, and the broker
/// configs each falls back to (retention.ms ← log.retention.ms ← log.retention.minutes ← log.retention.hours),
/// so CreateTopics and AlterConfigs refuse what Kafka refuses and DescribeConfigs reports synonyms and
/// sources as Kafka does.
/// </summary>
public static class TopicConfigCatalog
{
    private const long MsPerMinute = 60_000;
    private const long MsPerHour = 3_600_000;
    private const string LongMax = "9223372036854775807";

    public static IReadOnlyList<ConfigDefinition> All { get; } =
    [
        new("cleanup.policy", ConfigType.List, "delete", ListOf(false, "delete", "compact"),
            "Old segments are deleted (delete), compacted to the last value per key (compact), or both.")
            { Synonyms = [new("log.cleanup.policy")] },
        new("compression.type", ConfigType.String, "producer", OneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
            "The codec stored batches use; producer keeps what the producer sent.")
            { Synonyms = [new("compression.type")] },
        new("compression.gzip.level", ConfigType.Int, "-1", v => Int(-1, 9)(v) ?? (v.Trim() == "0" ? "value must be -1 or in [1, 9]" : null),
            "gzip level when compression.type is gzip.")
            { Synonyms = [new("compression.gzip.level")] },
        new("compression.lz4.level", ConfigType.Int, "9", Int(1, 17), "lz4 level when compression.type is lz4.")
            { Synonyms = [new("compression.lz4.level")] },
        new("compression.zstd.level", ConfigType.Int, "3", Int(-131072, 22), "zstd level when compression.type is zstd.")
            { Synonyms = [new("compression.zstd.level")] },
        new("delete.retention.ms", ConfigType.Long, "86400000", Long(0),
            "How long delete tombstones stay in a compacted topic.")
            { Synonyms = [new("log.cleaner.delete.retention.ms")] },
        new("file.delete.delay.ms", ConfigType.Long, "60000", Long(0),
            "How long a deleted segment's files wait before they are removed.")
            { Synonyms = [new("log.segment.delete.delay.ms")] },
        new("flush.messages", ConfigType.Long, LongMax, Long(1),
            "Force an fsync after this many messages.")
            { Synonyms = [new("log.flush.interval.messages")] },
        new("flush.ms", ConfigType.Long, LongMax, Long(0),
            "Force an fsync when the oldest unflushed message is this old.")
            { Synonyms = [new("log.flush.interval.ms"), new("log.flush.scheduler.interval.ms")] },
        new("follower.replication.throttled.replicas", ConfigType.List, "", ThrottledReplicas(),
            "Replicas whose follower fetches are throttled: partition:broker pairs or *."),
        new("index.interval.bytes", ConfigType.Int, "4096", Int(0),
            "Bytes of log between two offset index entries.")
            { Synonyms = [new("log.index.interval.bytes")] },
        new("leader.replication.throttled.replicas", ConfigType.List, "", ThrottledReplicas(),
            "Replicas whose leader-side reads are throttled: partition:broker pairs or *."),
        new("max.compaction.lag.ms", ConfigType.Long, LongMax, Long(1),
            "The longest a record may stay uncompacted.")
            { Synonyms = [new("log.cleaner.max.compaction.lag.ms")] },
        new("max.message.bytes", ConfigType.Int, "1048588", Int(0),
            "The largest record batch the topic accepts.")
            { Synonyms = [new("message.max.bytes")] },
        new("message.timestamp.after.max.ms", ConfigType.Long, "3600000", Long(0),
            "How far in the future a CreateTime timestamp may be.")
            { Synonyms = [new("log.message.timestamp.after.max.ms")] },
        new("message.timestamp.before.max.ms", ConfigType.Long, LongMax, Long(0),
            "How far in the past a CreateTime timestamp may be.")
            { Synonyms = [new("log.message.timestamp.before.max.ms")] },
        new("message.timestamp.type", ConfigType.String, "CreateTime", OneOf("CreateTime", "LogAppendTime"),
            "Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime).")
            { Synonyms = [new("log.message.timestamp.type")] },
        new("min.cleanable.dirty.ratio", ConfigType.Double, "0.5", Ratio(),
            "The share of uncompacted log that makes a partition eligible for compaction.")
            { Synonyms = [new("log.cleaner.min.cleanable.ratio")] },
        new("min.compaction.lag.ms", ConfigType.Long, "0", Long(0),
            "The shortest time a record stays uncompacted.")
            { Synonyms = [new("log.cleaner.min.compaction.lag.ms")] },
        new("min.insync.replicas", ConfigType.Int, "1", Int(1),
            "The fewest in-sync replicas an acks=all write needs.")
            { Synonyms = [new("min.insync.replicas")] },
        new("preallocate", ConfigType.Boolean, "false", Boolean(),
            "Preallocate a new segment's file.")
            { Synonyms = [new("log.preallocate")] },
        new("retention.bytes", ConfigType.Long, "-1", Long(long.MinValue),
            "The largest a partition may grow before old segments are deleted; -1 means no limit.")
            { Synonyms = [new("log.retention.bytes")] },
        new("retention.ms", ConfigType.Long, "604800000", Long(-1),
            "How long segments are kept before deletion; -1 keeps them forever.")
            { Synonyms = [new("log.retention.ms"), new("log.retention.minutes", MsPerMinute), new("log.retention.hours", MsPerHour)] },
        new("segment.bytes", ConfigType.Int, "1073741824", Int(1024 * 1024),
            "The size at which a segment is rolled.")
            { Synonyms = [new("log.segment.bytes")] },
        new("segment.index.bytes", ConfigType.Int, "10485760", Int(4),
            "The size of a segment's offset index.")
            { Synonyms = [new("log.index.size.max.bytes")] },
        new("segment.jitter.ms", ConfigType.Long, "0", Long(0),
            "The most a segment's roll time is randomly moved earlier.")
            { Synonyms = [new("log.roll.jitter.ms"), new("log.roll.jitter.hours", MsPerHour)] },
        new("segment.ms", ConfigType.Long, "604800000", Long(1),
            "The age at which a segment is rolled.")
            { Synonyms = [new("log.roll.ms"), new("log.roll.hours", MsPerHour)] },
        new("unclean.leader.election.enable", ConfigType.Boolean, "false", Boolean(),
            "Whether a replica outside the ISR may become leader, losing data.")
            { Synonyms = [new("unclean.leader.election.enable")] },
    ];

    private static readonly FrozenDictionary<string, ConfigDefinition> ByName = All.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    public static ConfigDefinition? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Checks one topic config; null when good, else the INVALID_CONFIG message.</summary>
    public static string? Check(string name, string? value)
    {
        var definition = Find(name);
        if (definition is null) return $"Unknown topic config name: {name}";
        if (value is null) return $"Null value not supported for topic configs: {name}";
        string? problem = definition.Validate(value);
        return problem is null ? null : $"Invalid value {value} for configuration {name}: {problem}";
    }
}
