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

    /// <summary>
    /// The first producer id of the next block the controller hands out (AllocateProducerIds): every id below it
    /// belongs to a block already given to some broker. Folded from ProducerIdsRecord; 0 before the first block.
    /// </summary>
    public long NextProducerId { get; init; }

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
    ImmutableArray<int> Isr)
{
    /// <summary>Replicas a reassignment is adding (already in <see cref="Replicas"/>); empty when none is under way.</summary>
    public ImmutableArray<int> AddingReplicas { get; init; } = [];

    /// <summary>Replicas a reassignment is removing (still in <see cref="Replicas"/>); empty when none is under way.</summary>
    public ImmutableArray<int> RemovingReplicas { get; init; } = [];

    /// <summary>
    /// Eligible leader replicas (KIP-966): replicas that left the ISR while it was below <c>min.insync.replicas</c>, so
    /// they still hold every record the partition committed and may lead when no ISR member can.
    /// </summary>
    public ImmutableArray<int> Elr { get; init; } = [];

    /// <summary>Replicas that were eligible leaders and are no longer known to be (KIP-966), or the last leader when the partition went leaderless.</summary>
    public ImmutableArray<int> LastKnownElr { get; init; } = [];

    /// <summary>Recovering while a leader elected from outside the ISR has not yet said it is done.</summary>
    public LeaderRecoveryState LeaderRecoveryState { get; init; } = LeaderRecoveryState.Recovered;
}

/// <summary>
/// A registered broker: the endpoint clients reach it on (<see cref="Host"/>, <see cref="Port"/>: its first listener),
/// and the registration state the controller's broker lifecycle keeps in the log. The defaults of the added
/// properties describe a live, unfenced broker, as every registration was before fencing existed.
/// </summary>
public sealed record BrokerRegistration(int NodeId, string Host, int Port, string? Rack)
{
    /// <summary>The process instance that registered; a restart registers a new one.</summary>
    public KafkaUuid IncarnationId { get; init; }

    /// <summary>The broker epoch its heartbeats must carry (-1 when unknown).</summary>
    public long Epoch { get; init; } = -1;

    /// <summary>Fenced: registered but not (or no longer) allowed to lead or be in an ISR.</summary>
    public bool Fenced { get; init; }

    /// <summary>Asked to shut down and is having its leadership moved away.</summary>
    public bool InControlledShutdown { get; init; }

    /// <summary>Every listener it registered, in registration order; the first is the one clients are told about.</summary>
    public ImmutableArray<BrokerListener> Listeners { get; init; } = [];

    /// <summary>
    /// The offset of the RegisterBrokerRecord this registration came from (-1 when unknown): the broker counts as
    /// caught up with the metadata once it reports having applied this offset. Not a field of any record: a
    /// snapshot loader sets it to the snapshot's offset.
    /// </summary>
    public long RegistrationOffset { get; init; } = -1;

    /// <summary>Can lead partitions and be placed on: unfenced and not shutting down.</summary>
    public bool IsActive => !Fenced && !InControlledShutdown;
}

/// <summary>One listener of a broker as registered: its name, advertised host and port, and security protocol id.</summary>
public sealed record BrokerListener(string Name, string Host, int Port, short SecurityProtocol);
