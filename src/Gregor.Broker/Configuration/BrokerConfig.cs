using Gregor.Storage;

namespace Gregor.Broker.Configuration;

/// <summary>
/// The broker's settings, under Kafka's names and with Kafka's defaults (except where noted), so
/// an operator's server.properties means here what it means to Kafka. Parsed and validated by
/// <c>BrokerConfigParser</c>; every value here has already been checked.
/// </summary>
public sealed record BrokerConfig
{
    private static readonly long DefaultBudget = MemoryBudget.MachineDefault();

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

    /// <summary>
    /// <c>socket.request.max.bytes</c>: the largest request frame, refused before any allocation. Kafka's 100 MiB,
    /// unless <see cref="QueuedMaxRequestBytes"/> is smaller.
    /// </summary>
    public int SocketRequestMaxBytes { get; init; } = MemoryBudget.SocketRequestMaxBytes(MemoryBudget.QueuedMaxRequestBytes(DefaultBudget));

    /// <summary>
    /// <c>connections.max.idle.ms</c>: a connection on which no complete request arrives for this long is closed
    /// (bytes that do not complete a request do not count); -1 never closes one.
    /// </summary>
    public long ConnectionsMaxIdleMs { get; init; } = 10 * 60 * 1000;

    /// <summary><c>memory.budget.bytes</c> (Gregor's): the memory clients may make the broker hold; the limits below derive from it unless set.</summary>
    public long MemoryBudgetBytes { get; init; } = DefaultBudget;

    /// <summary>
    /// <c>queued.max.request.bytes</c>: request frames being received or handled may hold this much at once; past
    /// it the broker stops reading sockets. Kafka's default is unbounded (-1, as here when set to 0 or less);
    /// Gregor's is half the memory budget.
    /// </summary>
    public long QueuedMaxRequestBytes { get; init; } = MemoryBudget.QueuedMaxRequestBytes(DefaultBudget);

    /// <summary>The transport's large receive blocks in use at once (derived from the budget only; past it reads use small blocks).</summary>
    public long ReceiveBufferBytes { get; init; } = MemoryBudget.ReceiveBufferBytes(DefaultBudget);

    /// <summary><c>max.connections</c>: connections over this are closed at once. Kafka's default is unbounded; Gregor's derives from the budget.</summary>
    public int MaxConnections { get; init; } = MemoryBudget.MaxConnections(DefaultBudget, MemoryBudget.OpenFileLimit());

    /// <summary><c>max.connections.per.ip</c> (Kafka's default: unbounded).</summary>
    public int MaxConnectionsPerIp { get; init; } = int.MaxValue;

    /// <summary><c>max.connections.per.ip.overrides</c>: <c>host:count,host:count</c>, by host name or address.</summary>
    public IReadOnlyDictionary<string, int> MaxConnectionsPerIpOverrides { get; init; } = new Dictionary<string, int>();

    /// <summary><c>max.connection.creation.rate</c>: new connections per second across listeners; those over it wait (Kafka's default: unbounded).</summary>
    public int MaxConnectionCreationRate { get; init; } = int.MaxValue;

    /// <summary><c>listener.name.&lt;listener&gt;.max.connections</c> and <c>.max.connection.creation.rate</c>, by listener name.</summary>
    public IReadOnlyDictionary<string, ListenerConnectionLimits> ListenerLimits { get; init; } = new Dictionary<string, ListenerConnectionLimits>();

    /// <summary>
    /// <c>socket.write.timeout.ms</c> (Gregor's; Kafka has none and relies on <c>connections.max.idle.ms</c>): a
    /// write of a response to the socket that does not finish in this time closes the connection, so a client that
    /// stops reading cannot hold its responses' memory.
    /// </summary>
    public long SocketWriteTimeoutMs { get; init; } = 60_000;
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

    /// <summary><c>producer.id.expiration.ms</c>: a partition forgets an idempotent producer whose last batch is this old (1 day, Kafka's).</summary>
    public long ProducerIdExpirationMs { get; init; } = ProducerStateConfig.DefaultExpirationMs;

    /// <summary>
    /// <c>producer.state.max.entries</c> (Gregor's; Kafka has no cap): the idempotent producer entries (one per producer
    /// and partition) this broker's partitions hold together; past it a leader refuses producer ids it does not know.
    /// </summary>
    public int ProducerStateMaxEntries { get; init; } = ProducerStateConfig.DefaultMaxEntries;

    /// <summary><c>num.recovery.threads.per.data.dir</c>: logs of one log dir opened (and recovered) at once at start (Kafka 4's default, 2).</summary>
    public int NumRecoveryThreadsPerDataDir { get; init; } = 2;

    /// <summary><c>max.broker.partitions</c> (KIP-578's name): partition replicas this broker may host; null derives it from memory.</summary>
    public int? MaxBrokerPartitions { get; init; }

    /// <summary><c>fetch.max.bytes</c>: the most record bytes one Fetch response carries, whatever the client asks (55 MiB, Kafka's).</summary>
    public int FetchMaxBytes { get; init; } = 55 * 1024 * 1024;

    /// <summary><c>broker.rack</c>: the rack (or zone) this broker is in, registered with the controller and shown to clients; null when unset.</summary>
    public string? BrokerRack { get; init; }

    /// <summary>The node's roles and its metadata quorum (<c>process.roles</c>, <c>controller.quorum.*</c>, <c>controller.listener.names</c>).</summary>
    public QuorumSettings Quorum { get; init; } = new();

    /// <summary><c>broker.session.timeout.ms</c> and <c>broker.heartbeat.interval.ms</c>.</summary>
    public BrokerLifecycleSettings BrokerLifecycle { get; init; } = new();

    /// <summary>Replica fetchers and the leader's view of its followers (<c>num.replica.fetchers</c>, <c>replica.*</c>).</summary>
    public ReplicationSettings Replication { get; init; } = new();

    /// <summary>The active controller's automatic preferred leader election (<c>auto.leader.rebalance.enable</c> and its knobs).</summary>
    public LeaderBalanceSettings LeaderBalance { get; init; } = new();

    /// <summary><c>metadata.log.max.snapshot.interval.ms</c> and <c>metadata.log.max.record.bytes.between.snapshots</c>.</summary>
    public MetadataSnapshotSettings MetadataSnapshots { get; init; } = new();

    /// <summary>The group coordinator's settings (<c>offsets.*</c>, <c>group.*</c>).</summary>
    public GroupCoordinatorConfig Groups { get; init; } = new();

    /// <summary>The topic-level defaults that come from the broker's <c>log.*</c> settings.</summary>
    public LogConfig LogDefaults { get; init; } = LogConfig.Default;

    /// <summary>Every setting as given (file, then overrides), by Kafka name, for DescribeConfigs.</summary>
    public IReadOnlyDictionary<string, string> Explicit { get; init; } = new Dictionary<string, string>();

    /// <summary>What clients are told: <see cref="AdvertisedListeners"/> (or <see cref="Listeners"/>) without the controller listeners, as Kafka's brokers advertise.</summary>
    public IReadOnlyList<ListenerEndpoint> EffectiveAdvertisedListeners =>
        (AdvertisedListeners ?? Listeners).Where(l => !Quorum.IsControllerListener(l.Name)).ToList();
}

/// <summary>A listener's own connection limits; unset ones are unbounded (the broker-wide limits still apply).</summary>
public sealed record ListenerConnectionLimits(int MaxConnections = int.MaxValue, int MaxConnectionCreationRate = int.MaxValue);

/// <summary>One entry of <c>listeners</c>: <c>NAME://host:port</c>. An empty host means every interface.</summary>
public sealed record ListenerEndpoint(string Name, string Host, int Port);

/// <summary>The group coordinator's settings, under Kafka's names and with Kafka's defaults.</summary>
public sealed record GroupCoordinatorConfig
{
    /// <summary><c>offsets.topic.num.partitions</c>: partitions of <c>__consumer_offsets</c> (fixed once it exists).</summary>
    public int OffsetsTopicNumPartitions { get; init; } = 50;

    /// <summary>
    /// <c>offsets.topic.replication.factor</c>. As Kafka, the topic is not created until this many brokers are
    /// registered and unfenced (FindCoordinator answers COORDINATOR_NOT_AVAILABLE meanwhile). Kafka's default, 3, except
    /// on the implicit single node (no quorum configured), where it is 1 unless set (BrokerConfigParser).
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
