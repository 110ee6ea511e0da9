using Gregor.Storage;

namespace Gregor.Broker.Configuration;

/// <summary>
/// The broker's settings, under Kafka's names and with Kafka's defaults (except where noted), so
/// an operator's server.properties means here what it means to Kafka. Parsed and validated by
/// <c>BrokerConfigParser</c>; every value here has already been checked.
/// </summary>
public sealed record BrokerConfig
{
    public int NodeId { get; init; } = 1;

    /// <summary><c>listeners</c>: where the broker binds. Kafka's default binds every interface; ours binds loopback so a first start exposes nothing.</summary>
    public IReadOnlyList<ListenerEndpoint> Listeners { get; init; } = [new ListenerEndpoint("PLAINTEXT", "localhost", 9092)];

    /// <summary><c>advertised.listeners</c>: what Metadata tells clients; defaults to <see cref="Listeners"/>.</summary>
    public IReadOnlyList<ListenerEndpoint>? AdvertisedListeners { get; init; }

    /// <summary><c>log.dirs</c> (or <c>log.dir</c>). Ours defaults to a folder under the working directory rather than /tmp.</summary>
    public IReadOnlyList<string> LogDirs { get; init; } = ["./data"];

    public int NumPartitions { get; init; } = 1;

    public short DefaultReplicationFactor { get; init; } = 1;

    public bool AutoCreateTopicsEnable { get; init; } = true;

    /// <summary><c>message.max.bytes</c>: the largest record batch the broker accepts (topic override: <c>max.message.bytes</c>).</summary>
    public int MessageMaxBytes { get; init; } = 1024 * 1024 + 12;

    /// <summary><c>socket.request.max.bytes</c>: the largest request frame, refused before any allocation.</summary>
    public int SocketRequestMaxBytes { get; init; } = 100 * 1024 * 1024;

    public long ConnectionsMaxIdleMs { get; init; } = 10 * 60 * 1000;

    /// <summary>
    /// <c>max.request.partitions</c> (Gregor's own): the most partitions one request may name, counted
    /// with every other array entry of the request (topics, groups, config names), so it also caps the
    /// topics of a Metadata request. Enforced while decoding, before the entries exist.
    /// </summary>
    public int MaxRequestPartitions { get; init; } = RequestLimits.DefaultMaxRequestPartitions;

    /// <summary><c>log.retention.check.interval.ms</c>: how often retention and the other periodic log chores run.</summary>
    public long LogRetentionCheckIntervalMs { get; init; } = 5 * 60 * 1000;

    /// <summary><c>log.cleaner.backoff.ms</c>: how long the log cleaner sleeps when no compacted log needs cleaning.</summary>
    public long LogCleanerBackoffMs { get; init; } = 15 * 1000;

    /// <summary><c>num.recovery.threads.per.data.dir</c>: logs of one log dir opened (and recovered) at once at start (Kafka 4's default, 2).</summary>
    public int NumRecoveryThreadsPerDataDir { get; init; } = 2;

    /// <summary><c>max.broker.partitions</c> (KIP-578's name): partition replicas this broker may host; null derives it from memory.</summary>
    public int? MaxBrokerPartitions { get; init; }

    /// <summary><c>fetch.max.bytes</c>: the most record bytes one Fetch response carries, whatever the client asks (55 MiB, Kafka's).</summary>
    public int FetchMaxBytes { get; init; } = 55 * 1024 * 1024;

    /// <summary>The group coordinator's settings (<c>offsets.*</c>, <c>group.*</c>).</summary>
    public GroupCoordinatorConfig Groups { get; init; } = new();

    /// <summary>The topic-level defaults that come from the broker's <c>log.*</c> settings.</summary>
    public LogConfig LogDefaults { get; init; } = LogConfig.Default;

    /// <summary>Every setting as given (file, then overrides), by Kafka name, for DescribeConfigs.</summary>
    public IReadOnlyDictionary<string, string> Explicit { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<ListenerEndpoint> EffectiveAdvertisedListeners => AdvertisedListeners ?? Listeners;
}

/// <summary>One entry of <c>listeners</c>: <c>NAME://host:port</c>. An empty host means every interface.</summary>
public sealed record ListenerEndpoint(string Name, string Host, int Port);

/// <summary>The group coordinator's settings, under Kafka's names and with Kafka's defaults.</summary>
public sealed record GroupCoordinatorConfig
{
    /// <summary><c>offsets.topic.num.partitions</c>: partitions of <c>__consumer_offsets</c> (fixed once it exists).</summary>
    public int OffsetsTopicNumPartitions { get; init; } = 50;

    /// <summary>
    /// <c>offsets.topic.replication.factor</c>. Kafka refuses to create the topic until this many brokers are up;
    /// Gregor caps it at the brokers registered, so a single node works with the default.
    /// </summary>
    public short OffsetsTopicReplicationFactor { get; init; } = 3;

    /// <summary><c>offsets.topic.segment.bytes</c>: kept small so compaction has closed segments to clean.</summary>
    public int OffsetsTopicSegmentBytes { get; init; } = 100 * 1024 * 1024;

    /// <summary><c>offsets.retention.minutes</c>: how long an empty group's offsets are kept (7 days).</summary>
    public long OffsetsRetentionMinutes { get; init; } = 7 * 24 * 60;

    /// <summary><c>offsets.retention.check.interval.ms</c>: how often expired offsets are removed.</summary>
    public long OffsetsRetentionCheckIntervalMs { get; init; } = 600_000;

    /// <summary><c>group.initial.rebalance.delay.ms</c>: how long the first rebalance of an empty group waits for more members.</summary>
    public int GroupInitialRebalanceDelayMs { get; init; } = 3000;

    /// <summary><c>group.min.session.timeout.ms</c>.</summary>
    public int GroupMinSessionTimeoutMs { get; init; } = 6000;

    /// <summary><c>group.max.session.timeout.ms</c>.</summary>
    public int GroupMaxSessionTimeoutMs { get; init; } = 1_800_000;

    /// <summary><c>group.max.size</c>: most members one group may have.</summary>
    public int GroupMaxSize { get; init; } = int.MaxValue;
}
