namespace Gregor.Broker.Configuration;

/// <summary>The Kafka names of every broker setting Gregor honours.</summary>
public static class BrokerSettings
{
    public const string NodeId = "node.id";
    /// <summary>Kafka's older name for node.id.</summary>
    public const string BrokerId = "broker.id";
    public const string Listeners = "listeners";
    public const string AdvertisedListeners = "advertised.listeners";
    public const string LogDirs = "log.dirs";
    public const string LogDir = "log.dir";
    public const string NumPartitions = "num.partitions";
    public const string DefaultReplicationFactor = "default.replication.factor";
    public const string AutoCreateTopicsEnable = "auto.create.topics.enable";
    public const string MessageMaxBytes = "message.max.bytes";
    public const string SocketRequestMaxBytes = "socket.request.max.bytes";
    public const string ConnectionsMaxIdleMs = "connections.max.idle.ms";
    public const string MemoryBudgetBytes = "memory.budget.bytes";
    public const string QueuedMaxRequestBytes = "queued.max.request.bytes";
    public const string MaxConnections = "max.connections";
    public const string MaxConnectionsPerIp = "max.connections.per.ip";
    public const string MaxConnectionsPerIpOverrides = "max.connections.per.ip.overrides";
    public const string MaxConnectionCreationRate = "max.connection.creation.rate";
    public const string SocketWriteTimeoutMs = "socket.write.timeout.ms";
    /// <summary>Gregor's own: the most array entries one request may decode (Kafka has no such cap).</summary>
    public const string MaxRequestPartitions = "max.request.partitions";
    public const string FetchMaxBytes = "fetch.max.bytes";
    public const string OffsetsTopicNumPartitions = "offsets.topic.num.partitions";
    public const string OffsetsTopicReplicationFactor = "offsets.topic.replication.factor";
    public const string OffsetsTopicSegmentBytes = "offsets.topic.segment.bytes";
    public const string OffsetsRetentionMinutes = "offsets.retention.minutes";
    public const string OffsetsRetentionCheckIntervalMs = "offsets.retention.check.interval.ms";
    public const string GroupInitialRebalanceDelayMs = "group.initial.rebalance.delay.ms";
    public const string GroupMinSessionTimeoutMs = "group.min.session.timeout.ms";
    public const string GroupMaxSessionTimeoutMs = "group.max.session.timeout.ms";
    public const string GroupMaxSize = "group.max.size";
    public const string LogRetentionCheckIntervalMs = "log.retention.check.interval.ms";
    public const string LogCleanerBackoffMs = "log.cleaner.backoff.ms";
    public const string NumRecoveryThreadsPerDataDir = "num.recovery.threads.per.data.dir";
    public const string ProducerIdExpirationMs = Storage.ProducerStateConfig.ExpirationMsName;
    /// <summary>Gregor's own: a cap on idempotent producer entries per broker (Kafka has none; KIP-936 throttles instead).</summary>
    public const string ProducerStateMaxEntries = Storage.ProducerStateConfig.MaxEntriesName;
    /// <summary>KIP-578's name (Kafka sets no such limit).</summary>
    public const string MaxBrokerPartitions = "max.broker.partitions";
    public const string BrokerRack = "broker.rack";
    public const string ProcessRoles = "process.roles";
    public const string ControllerQuorumVoters = "controller.quorum.voters";
    public const string ControllerQuorumBootstrapServers = "controller.quorum.bootstrap.servers";
    public const string ControllerListenerNames = "controller.listener.names";
    public const string ControllerQuorumElectionTimeoutMs = "controller.quorum.election.timeout.ms";
    public const string ControllerQuorumFetchTimeoutMs = "controller.quorum.fetch.timeout.ms";
    public const string ControllerQuorumElectionBackoffMaxMs = "controller.quorum.election.backoff.max.ms";
    public const string BrokerSessionTimeoutMs = "broker.session.timeout.ms";
    public const string BrokerHeartbeatIntervalMs = "broker.heartbeat.interval.ms";
    public const string MetadataLogMaxSnapshotIntervalMs = "metadata.log.max.snapshot.interval.ms";
    public const string MetadataLogMaxRecordBytesBetweenSnapshots = "metadata.log.max.record.bytes.between.snapshots";
    public const string NumReplicaFetchers = "num.replica.fetchers";
    public const string ReplicaFetchMaxBytes = "replica.fetch.max.bytes";
    public const string ReplicaFetchResponseMaxBytes = "replica.fetch.response.max.bytes";
    public const string ReplicaFetchWaitMaxMs = "replica.fetch.wait.max.ms";
    public const string ReplicaFetchMinBytes = "replica.fetch.min.bytes";
    public const string ReplicaFetchBackoffMs = "replica.fetch.backoff.ms";
    public const string ReplicaLagTimeMaxMs = "replica.lag.time.max.ms";
    public const string InterBrokerListenerName = "inter.broker.listener.name";
    /// <summary>Topic defaults the controller's elections read (a topic's own config, or the cluster-wide dynamic one, wins).</summary>
    public const string MinInsyncReplicas = "min.insync.replicas";
    public const string UncleanLeaderElectionEnable = "unclean.leader.election.enable";
    public const string AutoLeaderRebalanceEnable = "auto.leader.rebalance.enable";
    public const string LeaderImbalanceCheckIntervalSeconds = "leader.imbalance.check.interval.seconds";
    public const string LeaderImbalancePerBrokerPercentage = "leader.imbalance.per.broker.percentage";
    /// <summary>Kafka's feature level for KIP-966 eligible leader replicas, here a node setting: 0 off, 1 on (the default).</summary>
    public const string EligibleLeaderReplicasVersion = "eligible.leader.replicas.version";
    /// <summary>KIP-966: how long an unclean recovery waits for every last known ELR replica to report its log end.</summary>
    public const string UncleanRecoveryTimeoutMs = "unclean.recovery.timeout.ms";

    private static readonly HashSet<string> Broker =
    [
        NodeId, BrokerId, Listeners, AdvertisedListeners, LogDirs, LogDir, NumPartitions, DefaultReplicationFactor,
        AutoCreateTopicsEnable, MessageMaxBytes, SocketRequestMaxBytes, ConnectionsMaxIdleMs, MaxRequestPartitions, FetchMaxBytes,
        MemoryBudgetBytes, QueuedMaxRequestBytes, MaxConnections, MaxConnectionsPerIp, MaxConnectionsPerIpOverrides,
        MaxConnectionCreationRate, SocketWriteTimeoutMs,
        OffsetsTopicNumPartitions, OffsetsTopicReplicationFactor, OffsetsTopicSegmentBytes, OffsetsRetentionMinutes,
        OffsetsRetentionCheckIntervalMs, GroupInitialRebalanceDelayMs, GroupMinSessionTimeoutMs, GroupMaxSessionTimeoutMs, GroupMaxSize,
        LogRetentionCheckIntervalMs, LogCleanerBackoffMs,
        MaxBrokerPartitions, NumRecoveryThreadsPerDataDir, BrokerRack, ProducerIdExpirationMs, ProducerStateMaxEntries,
        ProcessRoles, ControllerQuorumVoters, ControllerQuorumBootstrapServers, ControllerListenerNames,
        ControllerQuorumElectionTimeoutMs, ControllerQuorumFetchTimeoutMs, ControllerQuorumElectionBackoffMaxMs,
        BrokerSessionTimeoutMs, BrokerHeartbeatIntervalMs, MetadataLogMaxSnapshotIntervalMs, MetadataLogMaxRecordBytesBetweenSnapshots,
        NumReplicaFetchers, ReplicaFetchMaxBytes, ReplicaFetchResponseMaxBytes, ReplicaFetchWaitMaxMs, ReplicaFetchMinBytes,
        ReplicaFetchBackoffMs, ReplicaLagTimeMaxMs, InterBrokerListenerName,
        MinInsyncReplicas, UncleanLeaderElectionEnable, EligibleLeaderReplicasVersion, UncleanRecoveryTimeoutMs,
        AutoLeaderRebalanceEnable, LeaderImbalanceCheckIntervalSeconds, LeaderImbalancePerBrokerPercentage,
    ];

    public static bool IsKnown(string name) =>
        Broker.Contains(name) || LogDefaultsMapper.IsLogSetting(name) || ListenerSetting.TryParse(name, out _, out _);
}
