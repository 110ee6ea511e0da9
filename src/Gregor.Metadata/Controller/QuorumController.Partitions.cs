using System.Globalization;
using Gregor.Protocol;

namespace Gregor.Metadata.Controller;

/// <summary>
/// ISR changes asked by partition leaders (AlterPartition, KIP-497), checked as Kafka's controller checks them, and the
/// election policy of a topic's partitions.
/// </summary>
public sealed partial class QuorumController
{
    private const string MinInsyncReplicasConfig = "min.insync.replicas";
    private const string UncleanLeaderElectionConfig = "unclean.leader.election.enable";

    /// <summary>
    /// AlterPartition: each partition's new ISR is checked and, when it changes anything, committed as one
    /// PartitionChangeRecord (the partition epoch goes up by one, the leader epoch stays) before the answer. The sender
    /// must be registered with the epoch it gives (else STALE_BROKER_EPOCH for the whole request); a partition fails on
    /// its own with Kafka's errors: an unknown topic (UNKNOWN_TOPIC_ID from v2, UNKNOWN_TOPIC_OR_PARTITION before) or
    /// partition; epochs ahead of the controller's (NOT_CONTROLLER: this controller is behind, the leader should look
    /// for the active one); an older leader epoch (FENCED_LEADER_EPOCH); a sender that is not the leader or an ISR that
    /// is not a subset of the replicas holding the leader (INVALID_REQUEST); an older partition epoch
    /// (INVALID_UPDATE_VERSION); a recovering leader with other ISR members, or a recovered one going back to
    /// recovering (INVALID_REQUEST); a member not registered, fenced, shutting down, or (v3) of another broker epoch
    /// (INELIGIBLE_REPLICA from v2, OPERATION_NOT_ATTEMPTED before).
    /// </summary>
    public Task<AlterPartitionOutcome> AlterPartitionAsync(AlterPartitionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RunAsync(commit: true, cancellationToken, op =>
        {
            if (!op.Image.Brokers.TryGetValue(request.BrokerId, out var sender))
                return AlterPartitionOutcome.Failed(ErrorCode.StaleBrokerEpoch, $"No broker registration found for broker id {request.BrokerId}.");
            if (sender.Epoch != request.BrokerEpoch)
                return AlterPartitionOutcome.Failed(ErrorCode.StaleBrokerEpoch, $"Expected broker epoch {sender.Epoch}, but got broker epoch {request.BrokerEpoch}.");
            var topics = new List<TopicIsrOutcome>(request.Topics.Count);
            foreach (var asked in request.Topics)
            {
                var topic = request.Version >= 2 ? (asked.TopicId.IsZero ? null : op.Image.Topic(asked.TopicId))
                    : asked.Name is null ? null : op.Image.Topic(asked.Name);
                var results = new List<PartitionIsrOutcome>(asked.Partitions.Count);
                foreach (var change in asked.Partitions)
                {
                    if (topic is null)
                    {
                        results.Add(PartitionIsrOutcome.Failed(change.Partition, request.Version >= 2 ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition));
                        continue;
                    }
                    results.Add(AlterIsr(op, request, op.Image.Topic(topic.Id)!, change));
                }
                topics.Add(new TopicIsrOutcome(asked.Name, asked.TopicId, results));
            }
            return new AlterPartitionOutcome(ErrorCode.None, null, topics);
        });
    }

    private PartitionIsrOutcome AlterIsr(PendingOperation op, AlterPartitionRequest request, TopicImage topic, IsrChange change)
    {
        if (change.Partition < 0 || change.Partition >= topic.Partitions.Length)
            return PartitionIsrOutcome.Failed(change.Partition, ErrorCode.UnknownTopicOrPartition);
        var partition = topic.Partitions[change.Partition];
        var error = CheckIsrChange(op.Image, request, partition, change);
        if (error != ErrorCode.None)
            return PartitionIsrOutcome.Failed(change.Partition, error);

        var builder = new PartitionChangeBuilder(topic.Id, partition, r => IsActiveBroker(op.Image, r), PolicyFor(op.Image, topic))
        {
            TargetIsr = [.. change.NewIsr.Select(m => m.BrokerId)],
            TargetRecoveryState = change.RecoveryState,
        };
        if (builder.Build() is { } record)
        {
            op.Add(record);
            CompleteReassignmentIfDone(op, topic.Id, change.Partition);
            partition = op.Image.Topic(topic.Id)!.Partitions[change.Partition];
            // The sender stays leader: it is in its new ISR and active (both checked). Only a completed reassignment
            // could move leadership here, and Gregor does not reassign yet; Kafka answers that case so.
            if (partition.Leader != request.BrokerId)
                return PartitionIsrOutcome.Failed(change.Partition, request.Version > 1 ? ErrorCode.NewLeaderElected : ErrorCode.FencedLeaderEpoch);
        }
        return new PartitionIsrOutcome(change.Partition, ErrorCode.None, partition.Leader, partition.LeaderEpoch, partition.Isr,
            partition.LeaderRecoveryState, partition.PartitionEpoch);
    }

    private static ErrorCode CheckIsrChange(MetadataImage image, AlterPartitionRequest request, PartitionImage partition, IsrChange change)
    {
        // Epochs ahead of this controller's mean it is behind the log: not (or no longer) the active controller.
        if (change.LeaderEpoch > partition.LeaderEpoch || change.PartitionEpoch > partition.PartitionEpoch)
            return ErrorCode.NotController;
        if (change.LeaderEpoch < partition.LeaderEpoch)
            return ErrorCode.FencedLeaderEpoch;
        if (request.BrokerId != partition.Leader)
            return ErrorCode.InvalidRequest;
        if (change.PartitionEpoch < partition.PartitionEpoch)
            return ErrorCode.InvalidUpdateVersion;
        var ids = change.NewIsr.Select(m => m.BrokerId).ToList();
        if (ids.Distinct().Count() != ids.Count || !ids.All(partition.Replicas.Contains) || !ids.Contains(partition.Leader))
            return ErrorCode.InvalidRequest;
        if (change.RecoveryState is not (LeaderRecoveryState.Recovered or LeaderRecoveryState.Recovering))
            return ErrorCode.InvalidRequest;
        if (change.RecoveryState == LeaderRecoveryState.Recovering && ids.Count > 1)
            return ErrorCode.InvalidRequest;
        if (partition.LeaderRecoveryState == LeaderRecoveryState.Recovered && change.RecoveryState == LeaderRecoveryState.Recovering)
            return ErrorCode.InvalidRequest;
        foreach (var member in change.NewIsr)
        {
            // A broker epoch of -1 (every member before v3) is not checked.
            if (!image.Brokers.TryGetValue(member.BrokerId, out var broker) || !broker.IsActive
                || (member.BrokerEpoch != -1 && member.BrokerEpoch != broker.Epoch))
                return request.Version > 1 ? ErrorCode.IneligibleReplica : ErrorCode.OperationNotAttempted;
        }
        return ErrorCode.None;
    }

    /// <summary>
    /// A topic's election policy: its min.insync.replicas (at most its replication factor, as Kafka caps it) and
    /// unclean.leader.election.enable, each the topic's config, else the cluster-wide dynamic one, else the node's.
    /// </summary>
    private PartitionPolicy PolicyFor(MetadataImage image, TopicImage topic)
    {
        int minIsr = EffectiveConfig(image, topic, MinInsyncReplicasConfig) is { } m
            && int.TryParse(m, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) && parsed >= 1
            ? parsed : _settings.MinInsyncReplicas;
        int replicationFactor = topic.Partitions.Length > 0 ? topic.Partitions[0].Replicas.Length : 1;
        bool unclean = EffectiveConfig(image, topic, UncleanLeaderElectionConfig) is { } u && bool.TryParse(u.Trim(), out bool b)
            ? b : _settings.UncleanLeaderElectionEnable;
        return new PartitionPolicy(Math.Min(minIsr, Math.Max(replicationFactor, 1)),
            unclean ? LeaderElection.Unclean : LeaderElection.Online, _settings.EligibleLeaderReplicas);
    }

    private static string? EffectiveConfig(MetadataImage image, TopicImage topic, string name) =>
        topic.Configs.TryGetValue(name, out var v) ? v : image.ClusterConfigs.TryGetValue(name, out var c) ? c : null;
}
