namespace Gregor.Metadata.Configs;

/// <summary>One config as DescribeConfigs reports it, with the synonyms that could have supplied it, most specific first.</summary>
public sealed record DescribedConfig(
    string Name,
    string? Value,
    ConfigSource Source,
    bool ReadOnly,
    bool IsSensitive,
    ConfigType Type,
    string Documentation,
    IReadOnlyList<DescribedSynonym> Synonyms);

public sealed record DescribedSynonym(string Name, string? Value, ConfigSource Source);

/// <summary>
/// Resolves config values the way Kafka does: a topic's own setting, then each broker synonym set
/// dynamically on this broker, then dynamically for all brokers, then in the broker's static config,
/// then the synonyms' defaults — and reports where each value came from.
/// </summary>
public static class ConfigDescriber
{
    /// <summary>Every topic config of <paramref name="topic"/>, resolved for broker <paramref name="brokerId"/>.</summary>
    public static IReadOnlyList<DescribedConfig> DescribeTopic(MetadataImage image, TopicImage topic, int brokerId,
        IReadOnlyDictionary<string, string> staticBrokerConfigs)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(topic);
        var result = new List<DescribedConfig>(TopicConfigCatalog.All.Count);
        foreach (var definition in TopicConfigCatalog.All)
        {
            var synonyms = new List<DescribedSynonym>();
            if (topic.Configs.TryGetValue(definition.Name, out string? own))
                synonyms.Add(new DescribedSynonym(definition.Name, own, ConfigSource.DynamicTopicConfig));
            AddBrokerSynonyms(synonyms, definition.Synonyms, image, brokerId, staticBrokerConfigs);
            string? value = definition.Default;
            ConfigSource source = ConfigSource.DefaultConfig;
            if (synonyms.Count > 0)
            {
                var first = synonyms[0];
                source = first.Source;
                value = first.Source == ConfigSource.DynamicTopicConfig || first.Value is null
                    ? first.Value
                    : definition.Synonyms.First(s => s.Name == first.Name).ToTopicValue(first.Value);
            }
            result.Add(new DescribedConfig(definition.Name, value, source, ReadOnly: false, IsSensitive: false,
                definition.Type, definition.Documentation, synonyms));
        }
        return result;
    }

    /// <summary>Every broker config of broker <paramref name="brokerId"/>.</summary>
    public static IReadOnlyList<DescribedConfig> DescribeBroker(MetadataImage image, int brokerId,
        IReadOnlyDictionary<string, string> staticBrokerConfigs)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new List<DescribedConfig>(BrokerConfigCatalog.All.Count);
        foreach (var definition in BrokerConfigCatalog.All)
        {
            var chain = definition.Synonyms.Count > 0 ? definition.Synonyms : [new BrokerSynonym(definition.Name)];
            var synonyms = new List<DescribedSynonym>();
            AddBrokerSynonyms(synonyms, chain, image, brokerId, staticBrokerConfigs);
            // The broker config's own value; a less specific synonym only decides the source when it is unset.
            var own = synonyms.FirstOrDefault(s => s.Name == definition.Name);
            string? value = own?.Value;
            ConfigSource source = synonyms.Count > 0 ? synonyms[0].Source : ConfigSource.DefaultConfig;
            result.Add(new DescribedConfig(definition.Name, value, source, ReadOnly: !definition.DynamicallyUpdatable,
                IsSensitive: false, definition.Type, definition.Documentation, synonyms));
        }
        return result;
    }

    private static void AddBrokerSynonyms(List<DescribedSynonym> synonyms, IReadOnlyList<BrokerSynonym> chain,
        MetadataImage image, int brokerId, IReadOnlyDictionary<string, string> staticConfigs)
    {
        var perBroker = image.DynamicBrokerConfigs(brokerId);
        foreach (var s in chain)
            if (perBroker.TryGetValue(s.Name, out string? v)) synonyms.Add(new DescribedSynonym(s.Name, v, ConfigSource.DynamicBrokerConfig));
        foreach (var s in chain)
            if (image.ClusterConfigs.TryGetValue(s.Name, out string? v)) synonyms.Add(new DescribedSynonym(s.Name, v, ConfigSource.DynamicDefaultBrokerConfig));
        foreach (var s in chain)
            if (staticConfigs.TryGetValue(s.Name, out string? v)) synonyms.Add(new DescribedSynonym(s.Name, v, ConfigSource.StaticBrokerConfig));
        foreach (var s in chain)
            if (BrokerConfigCatalog.Find(s.Name)?.Default is string d) synonyms.Add(new DescribedSynonym(s.Name, d, ConfigSource.DefaultConfig));
    }

    /// <summary>
    /// The effective topic configs (every catalog config with a value) of a topic on broker <paramref name="brokerId"/>,
    /// by Kafka name: what a partition log should be opened with (feed to LogConfig.FromProperties).
    /// </summary>
    public static IReadOnlyDictionary<string, string> EffectiveTopicConfigs(MetadataImage image, TopicImage topic, int brokerId,
        IReadOnlyDictionary<string, string> staticBrokerConfigs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in DescribeTopic(image, topic, brokerId, staticBrokerConfigs))
            if (c.Value is not null) result[c.Name] = c.Value;
        return result;
    }
}
