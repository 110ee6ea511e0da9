using System.Globalization;
using Gregor.Broker.Configuration;
using Gregor.Protocol.Records;
using Gregor.Storage;

namespace Gregor.Broker.Replication;

/// <summary>
/// A topic's effective settings for its logs and its produce path: the topic's overrides layered over the
/// broker's defaults, under Kafka's names. Built once per config change, so the hot path never parses.
/// </summary>
public sealed class TopicSettings
{
    public const string MinInsyncReplicasName = "min.insync.replicas";
    public const string TimestampBeforeMaxMsName = "message.timestamp.before.max.ms";
    public const string TimestampAfterMaxMsName = "message.timestamp.after.max.ms";
    private const string BrokerTimestampBeforeMaxMsName = "log.message.timestamp.before.max.ms";
    private const string BrokerTimestampAfterMaxMsName = "log.message.timestamp.after.max.ms";

    /// <summary>Kafka 4's default for message.timestamp.after.max.ms: one hour into the future.</summary>
    public const long DefaultTimestampAfterMaxMs = 60L * 60 * 1000;

    private TopicSettings(LogConfig log, int minInsyncReplicas, long timestampBeforeMaxMs, long timestampAfterMaxMs)
    {
        Log = log;
        MinInsyncReplicas = minInsyncReplicas;
        TimestampBeforeMaxMs = timestampBeforeMaxMs;
        TimestampAfterMaxMs = timestampAfterMaxMs;
        ProduceValidation = RecordBatchValidationOptions.ClientProduce with { MaxBatchBytes = log.MaxMessageBytes };
    }

    public LogConfig Log { get; }

    public int MinInsyncReplicas { get; }

    /// <summary>How far in the past a CreateTime timestamp may be (Long.MaxValue: any).</summary>
    public long TimestampBeforeMaxMs { get; }

    /// <summary>How far in the future a CreateTime timestamp may be.</summary>
    public long TimestampAfterMaxMs { get; }

    /// <summary>What a Produce request's batches must pass: every record checked, limit max.message.bytes.</summary>
    public RecordBatchValidationOptions ProduceValidation { get; }

    /// <summary>
    /// The settings of a topic with <paramref name="topicConfigs"/> (overrides only) on this broker. Throws
    /// <see cref="InvalidLogConfigException"/> for a value out of range.
    /// </summary>
    public static TopicSettings From(IReadOnlyDictionary<string, string> topicConfigs, BrokerConfig broker)
    {
        ArgumentNullException.ThrowIfNull(topicConfigs);
        ArgumentNullException.ThrowIfNull(broker);
        // message.max.bytes is the broker-wide default of the topic's max.message.bytes.
        LogConfig defaults = broker.LogDefaults with { MaxMessageBytes = broker.MessageMaxBytes };
        LogConfig log = LogConfig.FromProperties(topicConfigs, defaults);
        int minIsr = (int)Setting(topicConfigs, broker, MinInsyncReplicasName, MinInsyncReplicasName, 1, 1, int.MaxValue);
        long before = Setting(topicConfigs, broker, TimestampBeforeMaxMsName, BrokerTimestampBeforeMaxMsName, long.MaxValue, 0, long.MaxValue);
        long after = Setting(topicConfigs, broker, TimestampAfterMaxMsName, BrokerTimestampAfterMaxMsName, DefaultTimestampAfterMaxMs, 0, long.MaxValue);
        return new TopicSettings(log, minIsr, before, after);
    }

    private static long Setting(IReadOnlyDictionary<string, string> topic, BrokerConfig broker, string topicName, string brokerName,
        long fallback, long min, long max)
    {
        string? text = topic.TryGetValue(topicName, out string? t) ? t
            : broker.Explicit.TryGetValue(brokerName, out string? b) ? b
            : null;
        if (text is null)
            return fallback;
        if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            throw new InvalidLogConfigException(topicName, $"'{text}' is not an integer in [{min}, {max}]");
        return value;
    }
}
