namespace Gregor.Client.Admin;

/// <summary>Kafka's resource types (the numbers are the wire values).</summary>
public enum ResourceType
{
    Unknown = 0,
    Any = 1,
    Topic = 2,
    Group = 3,
    Broker = 4,
    BrokerLogger = 8,
}

/// <summary>Where a config value came from (wire values).</summary>
public enum ConfigSource
{
    UnknownConfig = 0,
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
}

/// <summary>IncrementalAlterConfigs operations (wire values).</summary>
public enum AlterConfigOpType
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

/// <summary>A topic, broker or other resource whose configuration is described or altered.</summary>
public sealed class ConfigResource : IEquatable<ConfigResource>
{
    public ResourceType Type { get; set; }

    public string Name { get; set; } = "";

    public bool Equals(ConfigResource? other) => other is not null && Type == other.Type && Name == other.Name;

    public override bool Equals(object? obj) => Equals(obj as ConfigResource);

    public override int GetHashCode() => HashCode.Combine(Type, Name);

    public override string ToString() => $"{Type} {Name}";
}

/// <summary>A config to set (AlterConfigs) or an operation on one (IncrementalAlterConfigs).</summary>
public class ConfigEntry
{
    public string Name { get; set; } = "";

    public string? Value { get; set; }

    public AlterConfigOpType IncrementalOperation { get; set; } = AlterConfigOpType.Set;
}

public class ConfigSynonym
{
    public string Name { get; set; } = "";

    public string? Value { get; set; }

    public ConfigSource Source { get; set; }
}

/// <summary>A config as DescribeConfigs reports it.</summary>
public class ConfigEntryResult
{
    public string Name { get; set; } = "";

    public string? Value { get; set; }

    public bool IsDefault { get; set; }

    public bool IsReadOnly { get; set; }

    public bool IsSensitive { get; set; }

    public ConfigSource Source { get; set; }

    public List<ConfigSynonym> Synonyms { get; set; } = [];
}

public class DescribeConfigsResult
{
    public ConfigResource ConfigResource { get; set; } = new();

    public Dictionary<string, ConfigEntryResult> Entries { get; set; } = [];
}

public class DescribeConfigsReport : DescribeConfigsResult
{
    public Error Error { get; set; } = new(ErrorCode.NoError);
}

public class IncrementalAlterConfigsResult
{
    public ConfigResource ConfigResource { get; set; } = new();
}
