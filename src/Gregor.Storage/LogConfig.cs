using System.Globalization;

namespace Gregor.Storage;

/// <summary>
/// The topic-level settings a partition log obeys, under Kafka's names and with Kafka's defaults.
/// Immutable; a log takes a new instance live through <see cref="PartitionLog.UpdateConfig"/>.
/// </summary>
public sealed record LogConfig
{
    public const string SegmentBytesName = "segment.bytes";
    /// <summary>Kafka's test-only override that allows segments below segment.bytes' 1 MiB minimum.</summary>
    public const string InternalSegmentBytesName = "internal.segment.bytes";
    public const string SegmentMsName = "segment.ms";
    public const string SegmentIndexBytesName = "segment.index.bytes";
    public const string IndexIntervalBytesName = "index.interval.bytes";
    public const string RetentionMsName = "retention.ms";
    public const string RetentionBytesName = "retention.bytes";
    public const string CleanupPolicyName = "cleanup.policy";
    public const string DeleteRetentionMsName = "delete.retention.ms";
    public const string MinCompactionLagMsName = "min.compaction.lag.ms";
    public const string MaxCompactionLagMsName = "max.compaction.lag.ms";
    public const string MinCleanableDirtyRatioName = "min.cleanable.dirty.ratio";
    public const string FlushMessagesName = "flush.messages";
    public const string FlushMsName = "flush.ms";
    public const string FileDeleteDelayMsName = "file.delete.delay.ms";
    public const string MessageTimestampTypeName = "message.timestamp.type";
    public const string MaxMessageBytesName = "max.message.bytes";

    /// <summary>Kafka 4's lower bound for segment.bytes (KIP-1030).</summary>
    public const int MinPublicSegmentBytes = 1024 * 1024;

    /// <summary>Smallest segment any setting may produce: one batch header must fit.</summary>
    public const int MinSegmentBytes = 14;

    public static LogConfig Default { get; } = new();

    public int SegmentBytes { get; init; } = 1024 * 1024 * 1024;
    public long SegmentMs { get; init; } = 7L * 24 * 60 * 60 * 1000;
    public int SegmentIndexBytes { get; init; } = 10 * 1024 * 1024;
    public int IndexIntervalBytes { get; init; } = 4096;
    /// <summary>-1 keeps data forever.</summary>
    public long RetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;
    /// <summary>-1 means no size limit.</summary>
    public long RetentionBytes { get; init; } = -1;
    public CleanupPolicy CleanupPolicy { get; init; } = CleanupPolicy.Delete;
    public long DeleteRetentionMs { get; init; } = 24L * 60 * 60 * 1000;
    public long MinCompactionLagMs { get; init; }
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;
    public double MinCleanableDirtyRatio { get; init; } = 0.5;
    /// <summary>Long.MaxValue: leave flushing to the page cache, as Kafka does by default.</summary>
    public long FlushMessages { get; init; } = long.MaxValue;
    public long FlushMs { get; init; } = long.MaxValue;
    public long FileDeleteDelayMs { get; init; } = 60_000;
    public MessageTimestampType MessageTimestampType { get; init; } = MessageTimestampType.CreateTime;
    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;

    public bool Compact => (CleanupPolicy & CleanupPolicy.Compact) != 0;
    public bool Delete => (CleanupPolicy & CleanupPolicy.Delete) != 0;

    /// <summary>
    /// Builds a config from Kafka topic properties over <paramref name="defaults"/> (Kafka's defaults when
    /// null). Names this log does not use (compression.type, min.insync.replicas, ...) are ignored here;
    /// known names with bad values throw <see cref="InvalidLogConfigException"/>.
    /// </summary>
    public static LogConfig FromProperties(IEnumerable<KeyValuePair<string, string>> properties, LogConfig? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(properties);
        LogConfig config = defaults ?? Default;
        int? internalSegmentBytes = null;
        foreach ((string name, string value) in properties)
        {
            config = name switch
            {
                SegmentBytesName => config with { SegmentBytes = ParseInt(name, value, MinPublicSegmentBytes) },
                SegmentMsName => config with { SegmentMs = ParseLong(name, value, 1) },
                SegmentIndexBytesName => config with { SegmentIndexBytes = ParseInt(name, value, 4) },
                IndexIntervalBytesName => config with { IndexIntervalBytes = ParseInt(name, value, 0) },
                RetentionMsName => config with { RetentionMs = ParseLong(name, value, -1) },
                RetentionBytesName => config with { RetentionBytes = ParseLong(name, value, long.MinValue) },
                CleanupPolicyName => config with { CleanupPolicy = ParseCleanupPolicy(value) },
                DeleteRetentionMsName => config with { DeleteRetentionMs = ParseLong(name, value, 0) },
                MinCompactionLagMsName => config with { MinCompactionLagMs = ParseLong(name, value, 0) },
                MaxCompactionLagMsName => config with { MaxCompactionLagMs = ParseLong(name, value, 1) },
                MinCleanableDirtyRatioName => config with { MinCleanableDirtyRatio = ParseRatio(name, value) },
                FlushMessagesName => config with { FlushMessages = ParseLong(name, value, 1) },
                FlushMsName => config with { FlushMs = ParseLong(name, value, 0) },
                FileDeleteDelayMsName => config with { FileDeleteDelayMs = ParseLong(name, value, 0) },
                MessageTimestampTypeName => config with { MessageTimestampType = ParseTimestampType(value) },
                MaxMessageBytesName => config with { MaxMessageBytes = ParseInt(name, value, 0) },
                _ => config,
            };
            if (name == InternalSegmentBytesName)
                internalSegmentBytes = ParseInt(name, value, MinSegmentBytes);
        }
        if (internalSegmentBytes is int small)
            config = config with { SegmentBytes = small };
        config.Validate();
        return config;
    }

    /// <summary>Kafka's names and this config's values, as DescribeConfigs would show them.</summary>
    public IReadOnlyDictionary<string, string> ToProperties() => new Dictionary<string, string>
    {
        [SegmentBytesName] = Format(SegmentBytes),
        [SegmentMsName] = Format(SegmentMs),
        [SegmentIndexBytesName] = Format(SegmentIndexBytes),
        [IndexIntervalBytesName] = Format(IndexIntervalBytes),
        [RetentionMsName] = Format(RetentionMs),
        [RetentionBytesName] = Format(RetentionBytes),
        [CleanupPolicyName] = FormatCleanupPolicy(CleanupPolicy),
        [DeleteRetentionMsName] = Format(DeleteRetentionMs),
        [MinCompactionLagMsName] = Format(MinCompactionLagMs),
        [MaxCompactionLagMsName] = Format(MaxCompactionLagMs),
        [MinCleanableDirtyRatioName] = MinCleanableDirtyRatio.ToString(CultureInfo.InvariantCulture),
        [FlushMessagesName] = Format(FlushMessages),
        [FlushMsName] = Format(FlushMs),
        [FileDeleteDelayMsName] = Format(FileDeleteDelayMs),
        [MessageTimestampTypeName] = MessageTimestampType.ToString(),
        [MaxMessageBytesName] = Format(MaxMessageBytes),
    };

    /// <summary>Checks ranges and cross-field rules; throws <see cref="InvalidLogConfigException"/>.</summary>
    public void Validate()
    {
        Require(SegmentBytes >= MinSegmentBytes, SegmentBytesName, $"must be at least {MinSegmentBytes}");
        Require(SegmentMs >= 1, SegmentMsName, "must be at least 1");
        Require(SegmentIndexBytes >= 4, SegmentIndexBytesName, "must be at least 4");
        Require(IndexIntervalBytes >= 0, IndexIntervalBytesName, "must not be negative");
        Require(RetentionMs >= -1, RetentionMsName, "must be -1 (unlimited) or more");
        Require(CleanupPolicy != 0 && (CleanupPolicy & ~(CleanupPolicy.Delete | CleanupPolicy.Compact)) == 0,
            CleanupPolicyName, "must be delete, compact or both");
        Require(DeleteRetentionMs >= 0, DeleteRetentionMsName, "must not be negative");
        Require(MinCompactionLagMs >= 0, MinCompactionLagMsName, "must not be negative");
        Require(MaxCompactionLagMs >= 1, MaxCompactionLagMsName, "must be at least 1");
        Require(MaxCompactionLagMs >= MinCompactionLagMs, MaxCompactionLagMsName, "must not be below min.compaction.lag.ms");
        Require(MinCleanableDirtyRatio is >= 0 and <= 1, MinCleanableDirtyRatioName, "must be between 0 and 1");
        Require(FlushMessages >= 1, FlushMessagesName, "must be at least 1");
        Require(FlushMs >= 0, FlushMsName, "must not be negative");
        Require(FileDeleteDelayMs >= 0, FileDeleteDelayMsName, "must not be negative");
        Require(Enum.IsDefined(MessageTimestampType), MessageTimestampTypeName, "must be CreateTime or LogAppendTime");
        Require(MaxMessageBytes >= 0, MaxMessageBytesName, "must not be negative");
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
            throw new InvalidLogConfigException(name, message);
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static int ParseInt(string name, string value, int min)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int result))
            throw new InvalidLogConfigException(name, $"'{value}' is not a 32-bit integer");
        if (result < min)
            throw new InvalidLogConfigException(name, $"{result} is below the minimum {min}");
        return result;
    }

    private static long ParseLong(string name, string value, long min)
    {
        if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long result))
            throw new InvalidLogConfigException(name, $"'{value}' is not a 64-bit integer");
        if (result < min)
            throw new InvalidLogConfigException(name, $"{result} is below the minimum {min}");
        return result;
    }

    private static double ParseRatio(string name, string value)
    {
        if (!double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double result) || result is < 0 or > 1)
            throw new InvalidLogConfigException(name, $"'{value}' is not a number between 0 and 1");
        return result;
    }

    private static CleanupPolicy ParseCleanupPolicy(string value)
    {
        CleanupPolicy policy = 0;
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            policy |= part switch
            {
                "delete" => CleanupPolicy.Delete,
                "compact" => CleanupPolicy.Compact,
                _ => throw new InvalidLogConfigException(CleanupPolicyName, $"'{part}' is not delete or compact"),
            };
        }
        if (policy == 0)
            throw new InvalidLogConfigException(CleanupPolicyName, "must name delete, compact or both");
        return policy;
    }

    private static string FormatCleanupPolicy(CleanupPolicy policy) => policy switch
    {
        CleanupPolicy.Delete => "delete",
        CleanupPolicy.Compact => "compact",
        _ => "compact,delete",
    };

    private static MessageTimestampType ParseTimestampType(string value) => value.Trim() switch
    {
        "CreateTime" => MessageTimestampType.CreateTime,
        "LogAppendTime" => MessageTimestampType.LogAppendTime,
        _ => throw new InvalidLogConfigException(MessageTimestampTypeName, $"'{value}' is not CreateTime or LogAppendTime"),
    };
}
