using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>
/// What the active controller has heard, and keeps only in memory, of the replicas of partitions that wait for an
/// unclean recovery (KIP-966): each reporting broker's log end, under the broker epoch and partition epoch it reported
/// with, and when the wait began (the first report, or the first periodic check that saw one of its replicas back). A new active controller starts
/// with nothing and hears the reports again with the next heartbeats.
/// </summary>
internal sealed class UncleanRecoveries(TimeProvider time)
{
    private readonly Dictionary<(KafkaUuid Topic, int Partition), Waiting> _partitions = [];

    private sealed class Waiting(long since)
    {
        public long Since { get; } = since;

        public Dictionary<int, (long BrokerEpoch, int PartitionEpoch, ReplicaLogEnd LogEnd)> Reports { get; } = [];
    }

    public void Reset() => _partitions.Clear();

    /// <summary>Keeps <paramref name="report"/> from broker <paramref name="brokerId"/> (its latest replaces an earlier one).</summary>
    public void Record(int brokerId, long brokerEpoch, LeaderlessReplicaReport report) =>
        Watch(report.TopicId, report.Partition).Reports[brokerId] = (brokerEpoch, report.PartitionEpoch, report.LogEnd);

    /// <summary>Starts the wait of a partition seen waiting for a recovery, if it has not started yet.</summary>
    public void Start(KafkaUuid topicId, int partition) => Watch(topicId, partition);

    private Waiting Watch(KafkaUuid topicId, int partition)
    {
        if (!_partitions.TryGetValue((topicId, partition), out var waiting))
            _partitions[(topicId, partition)] = waiting = new Waiting(time.GetTimestamp());
        return waiting;
    }

    /// <summary>
    /// A replica's log end as reported by its current incarnation for the partition as it is now, or null when it has
    /// not reported so (a restarted broker, or a partition that changed since, must report again).
    /// </summary>
    public ReplicaLogEnd? LogEnd(MetadataImage image, KafkaUuid topicId, PartitionImage partition, int replica)
    {
        if (!_partitions.TryGetValue((topicId, partition.Partition), out var waiting)
            || !waiting.Reports.TryGetValue(replica, out var report)
            || !image.Brokers.TryGetValue(replica, out var broker))
            return null;
        return report.BrokerEpoch == broker.Epoch && report.PartitionEpoch == partition.PartitionEpoch ? report.LogEnd : null;
    }

    /// <summary>Whether the partition's first report came <paramref name="timeout"/> ago or longer.</summary>
    public bool WaitedLongEnough(KafkaUuid topicId, int partition, TimeSpan timeout) =>
        _partitions.TryGetValue((topicId, partition), out var waiting) && time.GetElapsedTime(waiting.Since) >= timeout;

    /// <summary>The partitions with reports, in no particular order.</summary>
    public IReadOnlyList<(KafkaUuid Topic, int Partition)> Partitions => [.. _partitions.Keys];

    /// <summary>The partition has a leader again (or is gone): its reports are of no more use.</summary>
    public void Forget(KafkaUuid topicId, int partition) => _partitions.Remove((topicId, partition));
}
