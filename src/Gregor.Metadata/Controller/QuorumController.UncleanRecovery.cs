using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>
/// Unclean recovery (KIP-966, Gregor's way). A partition whose ISR and eligible leader replicas are empty has lost every
/// replica known to hold all its committed records; the last known ELR names the replicas that may still hold them
/// (its last leader, and members dropped for unclean shutdowns, which may have lost a tail of their logs). One of them
/// alone leads as soon as it is back. Of several, the one whose log ends latest leads: each broker reports, on its
/// heartbeats, where its replicas of partitions without a leader end, and the election runs when every member is back
/// and has reported, or, after <c>unclean.recovery.timeout.ms</c> from the first report (or the first periodic check
/// that saw a member back), among those that have; with no report at all, the first member back leads.
/// Kafka's controller asks the brokers instead (GetReplicaLogInfo); here brokers only ever talk to the controller.
/// </summary>
public sealed partial class QuorumController
{
    /// <summary>
    /// Starts the wait of every partition newly seen waiting for a recovery with a named replica back (so it ends even if
    /// no report ever comes);
    /// elects the partitions that have waited <c>unclean.recovery.timeout.ms</c>, among the replicas that reported, or
    /// with none reported the first named replica back; forgets reports of partitions that have a leader again. The
    /// driver calls this periodically. Returns the partitions elected, as topic-partition names.
    /// </summary>
    public Task<IReadOnlyList<string>> CheckUncleanRecoveriesAsync(CancellationToken cancellationToken = default) =>
        RunAsync(commit: true, cancellationToken, op =>
        {
            foreach (var (topic, partition) in LeaderAndIsrChanges.Leaderless(op.Image))
                if (WaitsForRecovery(partition) && partition.LastKnownElr.Any(r => IsActiveBroker(op.Image, r)))
                    _recoveries.Start(topic.Id, partition.Partition);
            var elected = new List<string>();
            foreach (var (topicId, partitionId) in _recoveries.Partitions)
            {
                if (op.Image.Topic(topicId) is not { } topic || partitionId >= topic.Partitions.Length || topic.Partitions[partitionId].Leader >= 0)
                {
                    _recoveries.Forget(topicId, partitionId);
                    continue;
                }
                if (_recoveries.WaitedLongEnough(topicId, partitionId, _settings.UncleanRecoveryTimeout) && Recover(op, topicId, partitionId))
                    elected.Add($"{topic.Name}-{partitionId}");
            }
            return (IReadOnlyList<string>)elected;
        });

    /// <summary>Keeps a heartbeat's reports of replicas of partitions waiting for an unclean recovery; others are ignored.</summary>
    private List<(KafkaUuid Topic, int Partition)> RecordReports(MetadataImage image, BrokerRegistration broker, IReadOnlyList<LeaderlessReplicaReport> reports)
    {
        var kept = new List<(KafkaUuid, int)>();
        foreach (var report in reports)
        {
            if (image.Topic(report.TopicId) is not { } topic || report.Partition < 0 || report.Partition >= topic.Partitions.Length) continue;
            var partition = topic.Partitions[report.Partition];
            if (!WaitsForRecovery(partition) || !partition.Replicas.Contains(broker.NodeId)) continue;
            _recoveries.Record(broker.NodeId, broker.Epoch, report);
            kept.Add((report.TopicId, report.Partition));
        }
        return kept;
    }

    /// <summary>Without a leader, an ISR or eligible leaders, and with several replicas that may hold what it had: it needs to hear from them.</summary>
    private bool WaitsForRecovery(PartitionImage partition) =>
        _settings.EligibleLeaderReplicas && partition.Leader < 0 && partition.Isr.Length == 0 && partition.Elr.Length == 0
        && partition.LastKnownElr.Length > 1;

    /// <summary>What the unclean recovery knows of <paramref name="partition"/>'s replicas in <paramref name="image"/>.</summary>
    private RecoveryKnowledge KnowledgeFor(MetadataImage image, TopicImage topic, PartitionImage partition) =>
        new(replica => _recoveries.LogEnd(image, topic.Id, partition, replica),
            _recoveries.WaitedLongEnough(topic.Id, partition.Partition, _settings.UncleanRecoveryTimeout));

    /// <summary>Elects a leader for the partition if it is still leaderless and the recovery can choose one now; true if it did.</summary>
    private bool Recover(PendingOperation op, KafkaUuid topicId, int partitionId)
    {
        var image = op.Image;
        if (image.Topic(topicId) is not { } topic || partitionId >= topic.Partitions.Length) return false;
        var partition = topic.Partitions[partitionId];
        if (partition.Leader >= 0) return false;
        var change = LeaderAndIsrChanges.For(image, topic, partition, PolicyFor(image, topic), removed: LeaderAndIsrChanges.None,
            added: LeaderAndIsrChanges.None, recovery: KnowledgeFor(image, topic, partition));
        if (change is not { Leader: >= 0 }) return false;
        AddPartitionChange(op, change);
        _recoveries.Forget(topicId, partitionId);
        return true;
    }
}
