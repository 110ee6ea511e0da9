using Gregor.Protocol;
using Gregor.Protocol.Primitives;
using Gregor.Storage;

namespace Gregor.Metadata.Controller;

/// <summary>What the controller needs of the broker's settings.</summary>
public sealed record ControllerSettings(int NodeId)
{
    public int NumPartitions { get; init; } = 1;
    public short DefaultReplicationFactor { get; init; } = 1;
    /// <summary>The topic-level defaults from the broker's log.* settings, for checks across topic configs.</summary>
    public LogConfig LogDefaults { get; init; } = LogConfig.Default;
    /// <summary>Most partitions one request may create, as Kafka's controller limits a batch.</summary>
    public int MaxPartitionsPerRequest { get; init; } = 10_000;
    /// <summary><c>broker.session.timeout.ms</c>: a broker not heard from for longer is fenced.</summary>
    public TimeSpan BrokerSessionTimeout { get; init; } = TimeSpan.FromMilliseconds(9000);
    /// <summary>The node's <c>min.insync.replicas</c>: a topic's, unless it or the cluster-wide dynamic config sets one.</summary>
    public int MinInsyncReplicas { get; init; } = 1;
    /// <summary>The node's <c>unclean.leader.election.enable</c>: a topic's, unless it or the cluster-wide dynamic config sets one.</summary>
    public bool UncleanLeaderElectionEnable { get; init; }
    /// <summary>
    /// Eligible leader replicas (KIP-966; Kafka's feature <c>eligible.leader.replicas.version</c> at level 1): on by
    /// default, as a new Kafka 4.x cluster has it. An ISR shrunk below min.insync.replicas keeps the members it lost as
    /// leader candidates (the leader holds its high watermark meanwhile, so they hold every committed record).
    /// </summary>
    public bool EligibleLeaderReplicas { get; init; } = true;
    /// <summary>
    /// <c>unclean.recovery.timeout.ms</c> (KIP-966's name and default, 5 minutes): how long an unclean recovery waits
    /// for every replica of the last known ELR to come back and report its log end before it elects the best of those
    /// that have.
    /// </summary>
    public TimeSpan UncleanRecoveryTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>A topic to create: counts of -1 take the broker defaults; assignments place replicas by hand.</summary>
public sealed record NewTopic(
    string Name,
    int NumPartitions,
    short ReplicationFactor,
    IReadOnlyList<PartitionAssignment> Assignments,
    IReadOnlyList<KeyValuePair<string, string?>> Configs);

public sealed record PartitionAssignment(int Partition, IReadOnlyList<int> Brokers);

/// <summary>The outcome for one topic. On success the id and counts are the created (or would-be) topic's.</summary>
public sealed record CreateTopicOutcome(string Name, ErrorCode Error, string? Message, KafkaUuid TopicId, int NumPartitions, short ReplicationFactor)
{
    public static CreateTopicOutcome Failed(string name, ErrorCode error, string? message) => new(name, error, message, KafkaUuid.Zero, -1, -1);
}

/// <summary>A topic to delete, by name or by id (DeleteTopics v6 allows either).</summary>
public sealed record TopicReference(string? Name, KafkaUuid Id);

public sealed record DeleteTopicOutcome(string? Name, KafkaUuid TopicId, ErrorCode Error, string? Message);

/// <summary>A partition count increase; assignments, when given, place the new partitions.</summary>
public sealed record PartitionIncrease(string Topic, int Count, IReadOnlyList<IReadOnlyList<int>>? Assignments);

/// <summary>An error code and its message; None means success.</summary>
public readonly record struct Outcome(ErrorCode Error, string? Message)
{
    public static Outcome Ok => new(ErrorCode.None, null);
    public bool IsOk => Error == ErrorCode.None;
}

/// <summary>One config change of IncrementalAlterConfigs.</summary>
public sealed record ConfigChange(string Name, ConfigOperationKind Operation, string? Value);

public enum ConfigOperationKind : sbyte
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

/// <summary>The changes to one resource.</summary>
public sealed record ConfigResourceChanges(ConfigResourceType ResourceType, string ResourceName, IReadOnlyList<ConfigChange> Changes);

/// <summary>A whole new config of one resource (AlterConfigs: names left out go back to their defaults).</summary>
public sealed record ConfigResourceReplacement(ConfigResourceType ResourceType, string ResourceName, IReadOnlyList<KeyValuePair<string, string?>> Configs);

/// <summary>This broker as it registers: its id, the endpoint clients reach it on, its rack.</summary>
public sealed record BrokerEndpointInfo(string ListenerName, string Host, int Port, short SecurityProtocol);

/// <summary>AllocateProducerIds' answer: on success the block of <see cref="Length"/> ids from <see cref="FirstProducerId"/>.</summary>
public sealed record ProducerIdsOutcome(ErrorCode Error, string? Message, long FirstProducerId, int Length)
{
    public static ProducerIdsOutcome Failed(ErrorCode error, string message) => new(error, message, -1, 0);
}
