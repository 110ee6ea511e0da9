using Gregor.Client;
using Gregor.Client.Admin;

namespace Gregor.Cli.Commands;

// What each command was asked to do, once its arguments parsed and checked.

internal sealed record TopicCreateArgs(ClientTarget Target, string Topic, int Partitions, short ReplicationFactor,
    IReadOnlyDictionary<string, string> Configs, bool IfNotExists);

internal sealed record TopicListArgs(ClientTarget Target, bool ExcludeInternal);

/// <summary>A topic's description; the filters (kafka-topics') keep only partitions under-replicated or without a leader.</summary>
/// <summary><c>gregor topic describe</c>: one topic, or every topic when <paramref name="Topic"/> is null.</summary>
internal sealed record TopicDescribeArgs(ClientTarget Target, string? Topic, bool UnderReplicatedOnly = false, bool UnavailableOnly = false,
    bool ExcludeInternal = false);

internal sealed record TopicAlterArgs(ClientTarget Target, string Topic, IReadOnlyDictionary<string, string> SetConfigs,
    IReadOnlyList<string> DeleteConfigs);

internal sealed record TopicDeleteArgs(ClientTarget Target, string Topic, bool IfExists);

internal sealed record TopicAddPartitionsArgs(ClientTarget Target, string Topic, int TotalPartitions);

/// <summary>An election of one partition, of a topic's partitions, or (no topic) of every partition.</summary>
internal sealed record PartitionElectArgs(ClientTarget Target, string? Topic, int? Partition, ElectionType Type);

/// <summary>A move of one partition to <see cref="Replicas"/>; null cancels the move under way.</summary>
internal sealed record PartitionReassignArgs(ClientTarget Target, string Topic, int Partition, IReadOnlyList<int>? Replicas);

internal sealed record PartitionReassignmentsArgs(ClientTarget Target, string? Topic);

internal sealed record ProduceArgs(ClientTarget Target, string Topic, int? Partition, LineFormat Format, string? InputFile,
    Acks Acks, CompressionType Compression, IReadOnlyDictionary<string, string> ProducerProperties);

/// <summary>What <c>gregor consume</c> was asked; <see cref="StartTimestamp"/> (Unix ms), when given, wins over <see cref="StartOffset"/>.</summary>
internal sealed record ConsumeArgs(ClientTarget Target, string Topic, int? Partition, Offset StartOffset, long? MaxMessages,
    string? GroupId, TimeSpan? Timeout, ConsumePrintOptions Print, IReadOnlyDictionary<string, string> ConsumerProperties,
    long? StartTimestamp = null);

/// <summary>What a consumed record's line shows (kafka-console-consumer's print.* properties).</summary>
internal sealed record ConsumePrintOptions(bool Key, bool Timestamp, bool Partition, bool Offset, bool Headers, string KeySeparator)
{
    public static ConsumePrintOptions Default { get; } = new(false, false, false, false, false, "\t");
}

internal sealed record ClusterInfoArgs(ClientTarget Target);

internal sealed record ClusterDescribeArgs(ClientTarget Target);

/// <summary>What <c>cluster quorum</c> shows, as kafka-metadata-quorum describe --status and --replication.</summary>
internal enum QuorumView
{
    Status,
    Replication,
}

internal sealed record ClusterQuorumArgs(ClientTarget Target, QuorumView View);

internal sealed record OffsetsArgs(ClientTarget Target, string Topic, int? Partition);

/// <summary>Which groups to list: all, or those in some states; <paramref name="ShowState"/> adds the state column.</summary>
internal sealed record GroupListArgs(ClientTarget Target, IReadOnlyList<ConsumerGroupState> States, bool ShowState);

/// <summary>What <c>group describe</c> shows, as kafka-consumer-groups' --offsets, --members and --state.</summary>
internal enum GroupDescribeView
{
    Offsets,
    Members,
    State,
}

internal sealed record GroupDescribeArgs(ClientTarget Target, string Group, GroupDescribeView View, bool Verbose);

internal sealed record GroupDeleteArgs(ClientTarget Target, string Group);

/// <summary>A topic, and the partitions of it to reset (null: all of them).</summary>
internal sealed record TopicPartitionsSelection(string Topic, IReadOnlyList<int>? Partitions);

/// <summary>Where reset-offsets moves each partition.</summary>
internal enum ResetKind
{
    ToEarliest,
    ToLatest,
    ToDatetime,
    ToOffset,
    ShiftBy,
}

/// <summary>A reset target; <paramref name="Value"/> is the offset, the shift, or the timestamp in ms since the epoch.</summary>
internal sealed record ResetTarget(ResetKind Kind, long Value);

/// <summary>Reset a group's offsets for the selected topics (or all it has offsets for); a dry run unless <paramref name="Execute"/>.</summary>
internal sealed record GroupResetOffsetsArgs(ClientTarget Target, string Group, IReadOnlyList<TopicPartitionsSelection> Topics, bool AllTopics,
    ResetTarget Reset, bool Execute);

/// <summary>
/// A perf produce run: <paramref name="NumRecords"/> records or for <paramref name="Duration"/> (exactly one is set); the first
/// <paramref name="WarmupRecords"/> are sent and counted but left out of the latency figures.
/// </summary>
internal sealed record PerfProduceArgs(ClientTarget Target, string Topic, long? NumRecords, TimeSpan? Duration, int RecordSize, long Throughput,
    Acks Acks, CompressionType Compression, IReadOnlyDictionary<string, string> ProducerProperties, long WarmupRecords = 0);

/// <summary>Read from the beginning and time it; with <paramref name="GroupId"/> as a member of that group (from its committed offsets).</summary>
internal sealed record PerfConsumeArgs(ClientTarget Target, string Topic, long NumRecords, TimeSpan Timeout,
    IReadOnlyDictionary<string, string> ConsumerProperties, string? GroupId = null);

/// <summary>Runs the client commands. The real one talks to brokers; tests use a recording one.</summary>
internal interface ICommandHandlers
{
    Task<int> TopicCreateAsync(TopicCreateArgs args, CancellationToken cancellationToken);

    Task<int> TopicListAsync(TopicListArgs args, CancellationToken cancellationToken);

    Task<int> TopicDescribeAsync(TopicDescribeArgs args, CancellationToken cancellationToken);

    Task<int> TopicAlterAsync(TopicAlterArgs args, CancellationToken cancellationToken);

    Task<int> TopicDeleteAsync(TopicDeleteArgs args, CancellationToken cancellationToken);

    Task<int> TopicAddPartitionsAsync(TopicAddPartitionsArgs args, CancellationToken cancellationToken);

    Task<int> PartitionElectAsync(PartitionElectArgs args, CancellationToken cancellationToken);

    Task<int> PartitionReassignAsync(PartitionReassignArgs args, CancellationToken cancellationToken);

    Task<int> PartitionReassignmentsAsync(PartitionReassignmentsArgs args, CancellationToken cancellationToken);

    Task<int> ProduceAsync(ProduceArgs args, CancellationToken cancellationToken);

    Task<int> ConsumeAsync(ConsumeArgs args, CancellationToken cancellationToken);

    Task<int> ClusterInfoAsync(ClusterInfoArgs args, CancellationToken cancellationToken);

    Task<int> ClusterDescribeAsync(ClusterDescribeArgs args, CancellationToken cancellationToken);

    Task<int> ClusterQuorumAsync(ClusterQuorumArgs args, CancellationToken cancellationToken);

    Task<int> OffsetsAsync(OffsetsArgs args, CancellationToken cancellationToken);

    Task<int> GroupListAsync(GroupListArgs args, CancellationToken cancellationToken);

    Task<int> GroupDescribeAsync(GroupDescribeArgs args, CancellationToken cancellationToken);

    Task<int> GroupDeleteAsync(GroupDeleteArgs args, CancellationToken cancellationToken);

    Task<int> GroupResetOffsetsAsync(GroupResetOffsetsArgs args, CancellationToken cancellationToken);

    Task<int> PerfProduceAsync(PerfProduceArgs args, CancellationToken cancellationToken);

    Task<int> PerfConsumeAsync(PerfConsumeArgs args, CancellationToken cancellationToken);
}
