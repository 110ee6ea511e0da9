using System.Collections.Immutable;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata;

/// <summary>
/// A broker's view of the cluster: the fold of the metadata log up to <see cref="Offset"/>.
/// Immutable, so a request handler reads one consistent image without locks while the
/// controller publishes the next.
/// </summary>
public sealed record MetadataImage(
    long Offset,
    string ClusterId,
    int ControllerId,
    ImmutableDictionary<int, BrokerRegistration> Brokers,
    ImmutableDictionary<string, TopicImage> TopicsByName,
    ImmutableDictionary<KafkaUuid, TopicImage> TopicsById,
    ImmutableDictionary<string, string> ClusterConfigs)
{
    /// <summary>
    /// Dynamic configs set on one broker (ConfigRecord with a broker id as resource name), by broker id.
    /// <see cref="ClusterConfigs"/> holds those set for every broker (the empty resource name).
    /// </summary>
    public ImmutableDictionary<int, ImmutableDictionary<string, string>> BrokerConfigs { get; init; } =
        ImmutableDictionary<int, ImmutableDictionary<string, string>>.Empty;

    /// <summary>The image before the first record: no brokers, no topics.</summary>
    public static MetadataImage Empty(string clusterId, int controllerId) => new(
        -1, clusterId, controllerId,
        ImmutableDictionary<int, BrokerRegistration>.Empty,
        ImmutableDictionary<string, TopicImage>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<KafkaUuid, TopicImage>.Empty,
        ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>The dynamic configs of one broker, or of every broker for <paramref name="brokerId"/> null.</summary>
    public ImmutableDictionary<string, string> DynamicBrokerConfigs(int? brokerId) => brokerId is int id
        ? BrokerConfigs.TryGetValue(id, out var c) ? c : ImmutableDictionary<string, string>.Empty
        : ClusterConfigs;

    public TopicImage? Topic(string name) => TopicsByName.TryGetValue(name, out var t) ? t : null;

    public TopicImage? Topic(KafkaUuid id) => TopicsById.TryGetValue(id, out var t) ? t : null;
}

/// <summary>A topic: its id, partitions in index order, and the configs set on it (overrides only).</summary>
public sealed record TopicImage(
    string Name,
    KafkaUuid Id,
    ImmutableArray<PartitionImage> Partitions,
    ImmutableDictionary<string, string> Configs);

/// <summary>One partition's placement and leadership. Leader -1 means no leader.</summary>
public sealed record PartitionImage(
    int Partition,
    int Leader,
    int LeaderEpoch,
    int PartitionEpoch,
    ImmutableArray<int> Replicas,
    ImmutableArray<int> Isr);

/// <summary>A registered broker and the endpoint clients reach it on.</summary>
public sealed record BrokerRegistration(int NodeId, string Host, int Port, string? Rack);
