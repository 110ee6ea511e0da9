using System.Collections.Immutable;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>
/// An AlterPartition request's facts: the leader (<paramref name="BrokerId"/>, at <paramref name="BrokerEpoch"/>) asks
/// for new ISRs. <paramref name="Version"/> is the request's: topics are named by id from v2 on, and some errors differ by version.
/// </summary>
public sealed record AlterPartitionRequest(int BrokerId, long BrokerEpoch, short Version, IReadOnlyList<TopicIsrChanges> Topics);

/// <summary>The ISR changes asked for one topic, named by <paramref name="Name"/> (v0-1) or <paramref name="TopicId"/> (v2+).</summary>
public sealed record TopicIsrChanges(string? Name, KafkaUuid TopicId, IReadOnlyList<IsrChange> Partitions);

/// <summary>
/// One partition's new ISR as its leader sees it, checked against the leader and partition epochs the leader knows.
/// <paramref name="RecoveryState"/> is Recovered once a leader elected uncleanly has recovered.
/// </summary>
public sealed record IsrChange(int Partition, int LeaderEpoch, int PartitionEpoch, IReadOnlyList<IsrMember> NewIsr, LeaderRecoveryState RecoveryState);

/// <summary>An ISR member and the broker epoch its leader saw it fetch with (-1 before v3: not checked).</summary>
public readonly record struct IsrMember(int BrokerId, long BrokerEpoch);

/// <summary>The answer: a request-level error (STALE_BROKER_EPOCH, NOT_CONTROLLER) or one result per partition asked.</summary>
public sealed record AlterPartitionOutcome(ErrorCode Error, string? Message, IReadOnlyList<TopicIsrOutcome> Topics)
{
    public static AlterPartitionOutcome Failed(ErrorCode error, string message) => new(error, message, []);
}

public sealed record TopicIsrOutcome(string? Name, KafkaUuid TopicId, IReadOnlyList<PartitionIsrOutcome> Partitions);

/// <summary>One partition's result: on success the partition's state after the change (or as it was, when nothing changed).</summary>
public sealed record PartitionIsrOutcome(int Partition, ErrorCode Error, int Leader, int LeaderEpoch, ImmutableArray<int> Isr,
    LeaderRecoveryState RecoveryState, int PartitionEpoch)
{
    public static PartitionIsrOutcome Failed(int partition, ErrorCode error) => new(partition, error, -1, -1, [], LeaderRecoveryState.Recovered, -1);
}
