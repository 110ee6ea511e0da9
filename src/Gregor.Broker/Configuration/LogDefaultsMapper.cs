using Gregor.Storage;

namespace Gregor.Broker.Configuration;

/// <summary>
/// Turns the broker's <c>log.*</c> settings into the topic-level defaults (<see cref="LogConfig"/>):
/// <c>log.segment.bytes</c> is the default <c>segment.bytes</c>, and so on. Retention and roll time
/// come in several units; as in Kafka the finest unit given wins (ms over minutes over hours).
/// </summary>
public static class LogDefaultsMapper
{
    public const string RetentionMs = "log.retention.ms";
    public const string RetentionMinutes = "log.retention.minutes";
    public const string RetentionHours = "log.retention.hours";
    public const string RollMs = "log.roll.ms";
    public const string RollHours = "log.roll.hours";

    // Broker name -> topic name, for settings that carry over one to one.
    private static readonly Dictionary<string, string> Direct = new(StringComparer.Ordinal)
    {
        ["log.segment.bytes"] = LogConfig.SegmentBytesName,
        ["log.index.size.max.bytes"] = LogConfig.SegmentIndexBytesName,
        ["log.index.interval.bytes"] = LogConfig.IndexIntervalBytesName,
        ["log.retention.bytes"] = LogConfig.RetentionBytesName,
        ["log.cleanup.policy"] = LogConfig.CleanupPolicyName,
        ["log.cleaner.delete.retention.ms"] = LogConfig.DeleteRetentionMsName,
        ["log.cleaner.min.compaction.lag.ms"] = LogConfig.MinCompactionLagMsName,
        ["log.cleaner.max.compaction.lag.ms"] = LogConfig.MaxCompactionLagMsName,
        ["log.cleaner.min.cleanable.ratio"] = LogConfig.MinCleanableDirtyRatioName,
        ["log.flush.interval.messages"] = LogConfig.FlushMessagesName,
        ["log.flush.interval.ms"] = LogConfig.FlushMsName,
        ["log.segment.delete.delay.ms"] = LogConfig.FileDeleteDelayMsName,
        ["log.message.timestamp.type"] = LogConfig.MessageTimestampTypeName,
    };

    public static bool IsLogSetting(string name) =>
        Direct.ContainsKey(name) || name is RetentionMs or RetentionMinutes or RetentionHours or RollMs or RollHours;

    /// <summary>Maps the log settings among <paramref name="given"/>; <paramref name="messageMaxBytes"/> becomes max.message.bytes.</summary>
    public static LogConfig Map(IReadOnlyDictionary<string, string> given, int messageMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(given);
        var topic = new List<KeyValuePair<string, string>>();
        foreach ((string brokerName, string topicName) in Direct)
        {
            if (!given.TryGetValue(brokerName, out string? value)) continue;
            CheckAlone(brokerName, topicName, value);
            topic.Add(new(topicName, value));
        }
        if (RetentionMillis(given) is long retention)
            topic.Add(new(LogConfig.RetentionMsName, retention.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (RollMillis(given) is long roll)
            topic.Add(new(LogConfig.SegmentMsName, roll.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        topic.Add(new(LogConfig.MaxMessageBytesName, messageMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        try
        {
            return LogConfig.FromProperties(topic);
        }
        catch (InvalidLogConfigException e)
        {
            // Only a rule across settings can fail here: each value alone was checked above.
            throw new BrokerConfigException($"Invalid log settings: {BrokerNameOf(e.Name)} {e.Message[(e.Name.Length + 2)..]}.", e);
        }
    }

    /// <summary>Checks one value on its own so the error names the broker setting, not the topic one.</summary>
    private static void CheckAlone(string brokerName, string topicName, string value)
    {
        try
        {
            LogConfig.FromProperties([new(topicName, value)]);
        }
        catch (InvalidLogConfigException e)
        {
            throw BrokerConfigException.InvalidValue(brokerName, value, e.Message[(e.Name.Length + 2)..]);
        }
    }

    private static string BrokerNameOf(string topicName) =>
        Direct.FirstOrDefault(p => p.Value == topicName).Key ?? topicName;

    /// <summary>ms over minutes over hours; -1 (or any negative product) means keep forever.</summary>
    private static long? RetentionMillis(IReadOnlyDictionary<string, string> given)
    {
        if (given.TryGetValue(RetentionMs, out string? ms))
            return SettingValue.Long(RetentionMs, ms, -1);
        if (given.TryGetValue(RetentionMinutes, out string? minutes))
            return Unlimited(SettingValue.Int(RetentionMinutes, minutes, -1), 60_000);
        if (given.TryGetValue(RetentionHours, out string? hours))
            return Unlimited(SettingValue.Int(RetentionHours, hours, -1), 3_600_000);
        return null;
    }

    private static long Unlimited(int units, long millisPerUnit) => units < 0 ? -1 : units * millisPerUnit;

    private static long? RollMillis(IReadOnlyDictionary<string, string> given)
    {
        if (given.TryGetValue(RollMs, out string? ms))
            return SettingValue.Long(RollMs, ms, 1);
        if (given.TryGetValue(RollHours, out string? hours))
            return SettingValue.Int(RollHours, hours, 1) * 3_600_000L;
        return null;
    }
}
