using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>
/// Where a replica's log ends: the leader epoch of its last batch and its log end offset. Of two replicas' logs, the one
/// with the later last epoch holds more of the partition's history (a later epoch began at its leader's log end, with
/// everything committed before it); within one epoch, the longer log does (KIP-966's unclean recovery compares so).
/// </summary>
public readonly record struct ReplicaLogEnd(int LastEpoch, long EndOffset) : IComparable<ReplicaLogEnd>
{
    public int CompareTo(ReplicaLogEnd other) =>
        LastEpoch != other.LastEpoch ? LastEpoch.CompareTo(other.LastEpoch) : EndOffset.CompareTo(other.EndOffset);

    public static bool operator <(ReplicaLogEnd left, ReplicaLogEnd right) => left.CompareTo(right) < 0;

    public static bool operator >(ReplicaLogEnd left, ReplicaLogEnd right) => left.CompareTo(right) > 0;

    public static bool operator <=(ReplicaLogEnd left, ReplicaLogEnd right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ReplicaLogEnd left, ReplicaLogEnd right) => left.CompareTo(right) >= 0;
}

/// <summary>
/// A broker's report, carried on its heartbeat, of where its replica of a partition without a leader ends, as of the
/// partition epoch in the broker's image (a report of another epoch is not used: the partition has changed since).
/// </summary>
public sealed record LeaderlessReplicaReport(KafkaUuid TopicId, int Partition, int PartitionEpoch, ReplicaLogEnd LogEnd);
