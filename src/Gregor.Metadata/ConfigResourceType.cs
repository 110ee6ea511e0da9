namespace Gregor.Metadata;

/// <summary>Kafka's config resource types, as DescribeConfigs and AlterConfigs number them.</summary>
public enum ConfigResourceType : sbyte
{
    Unknown = 0,
    Any = 1,
    Topic = 2,
    Group = 3,
    Broker = 4,
    BrokerLogger = 8,
    ClientMetrics = 16,
}
