using System.Collections.Immutable;
using Gregor.Metadata.Records;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>
/// Partition reassignment (KIP-455), by Kafka's controller's rules. Starting one makes the replicas the target followed
/// by the current replicas not in it, and records which are being added and removed; the new replicas fetch and, once
/// every one of them is in the ISR (the leader's AlterPartition puts them there), the reassignment completes: the
/// replicas become the target, the ISR loses the removed ones, and a removed leader hands leadership to a target replica
/// in the ISR. Cancelling goes back to the replicas the partition had before.
/// </summary>
public sealed partial class QuorumController
{
    /// <summary>
    /// AlterPartitionReassignments: one outcome per partition asked, in order. A target that is empty, names a broker
    /// twice or names a broker not registered is INVALID_REPLICA_ASSIGNMENT; cancelling a partition not being
    /// reassigned is NO_REASSIGNMENT_IN_PROGRESS; an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION. A new
    /// target replaces the one under way (the replicas it started from are kept). Everything commits as one batch.
    /// </summary>
    public Task<IReadOnlyList<Outcome>> AlterPartitionReassignmentsAsync(IReadOnlyList<PartitionReassignment> reassignments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reassignments);
        return RunAsync(commit: true, cancellationToken, op =>
            (IReadOnlyList<Outcome>)[.. reassignments.Select(r => Reassign(op, r))]);
    }

    /// <summary>ListPartitionReassignments: the reassignments under way, of the partitions named (unknown ones are left out) or of all partitions.</summary>
    public IReadOnlyList<OngoingReassignment> ListPartitionReassignments(IReadOnlyList<TopicPartitionRef>? partitions)
    {
        var image = _publisher.Current;
        if (!IsActive)
            throw new ControllerNotActiveException("The controller is not active (the broker is starting or stopping).");
        IEnumerable<(TopicImage Topic, PartitionImage Partition)> candidates = partitions is null
            ? image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal).SelectMany(t => t.Partitions.Select(p => (t, p)))
            : partitions.Select(tp => image.Topic(tp.Topic) is { } t && tp.Partition >= 0 && tp.Partition < t.Partitions.Length
                    ? (t, t.Partitions[tp.Partition]) : default)
                .Where(x => x.Item1 is not null).Distinct();
        return [.. candidates.Where(x => IsReassigning(x.Partition))
            .Select(x => new OngoingReassignment(x.Topic.Name, x.Partition.Partition, x.Partition.Replicas, x.Partition.AddingReplicas, x.Partition.RemovingReplicas))];
    }

    private static bool IsReassigning(PartitionImage partition) => partition.AddingReplicas.Length > 0 || partition.RemovingReplicas.Length > 0;

    private Outcome Reassign(PendingOperation op, PartitionReassignment asked)
    {
        if (op.Image.Topic(asked.Topic) is not { } topic || asked.Partition < 0 || asked.Partition >= topic.Partitions.Length)
            return new Outcome(ErrorCode.UnknownTopicOrPartition, $"Unable to find partition {asked.Topic}-{asked.Partition}.");
        var partition = topic.Partitions[asked.Partition];
        if (asked.TargetReplicas is null)
            return CancelReassignment(op, topic, partition);

        var target = asked.TargetReplicas;
        if (target.Count == 0)
            return new Outcome(ErrorCode.InvalidReplicaAssignment, "The manual partition assignment includes an empty replica list.");
        if (target.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return new Outcome(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes broker {twice.Key} more than once.");
        if (target.FirstOrDefault(r => !op.Image.Brokers.ContainsKey(r), int.MinValue) is var unknown && unknown != int.MinValue)
            return new Outcome(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes broker {unknown}, but no such broker is registered.");

        // A reassignment replacing one under way starts from the replicas the partition had before that one.
        var original = partition.Replicas.Where(r => !partition.AddingReplicas.Contains(r)).ToList();
        var replicas = target.Concat(original.Where(r => !target.Contains(r))).ToList();
        var adding = target.Where(r => !original.Contains(r)).ToList();
        var removing = original.Where(r => !target.Contains(r)).ToList();
        // Replicas being added in the reassignment replaced, and no longer targets, leave the ISR too.
        var isr = partition.Isr.Where(replicas.Contains).ToList();
        if (ChangeReplicas(op, topic, partition, replicas, isr, adding, removing, LeaderElection.Online) is { } record)
            op.Add(record);
        CompleteReassignmentIfDone(op, topic.Id, partition.Partition);
        return Outcome.Ok;
    }

    private Outcome CancelReassignment(PendingOperation op, TopicImage topic, PartitionImage partition)
    {
        if (!IsReassigning(partition))
            return new Outcome(ErrorCode.NoReassignmentInProgress, $"Partition {topic.Name}-{partition.Partition} has no reassignment in progress.");
        var replicas = partition.Replicas.Where(r => !partition.AddingReplicas.Contains(r)).ToList();
        var isr = partition.Isr.Where(r => !partition.AddingReplicas.Contains(r)).ToList();
        // Only added replicas were in the ISR: the partition goes back to its replicas, and one of them leads uncleanly.
        var election = isr.Count == 0 ? LeaderElection.Unclean : LeaderElection.Online;
        if (ChangeReplicas(op, topic, partition, replicas, isr, [], [], election) is { } record)
            op.Add(record);
        return Outcome.Ok;
    }

    /// <summary>
    /// Completes the reassignment of the partition once, without the replicas being removed, its replicas are all in its
    /// ISR and neither is empty (Kafka's PartitionReassignmentReplicas.maybeCompleteReassignment). Kafka checks this in
    /// every partition change it builds, so the same is done after each one here: an ISR change (AlterPartition), a
    /// reassignment's start, and the elections and ISR changes that fencing, unfencing, controlled shutdown,
    /// unregistration and leader elections make (<see cref="AddPartitionChange"/>) — an eligible leader elected when the
    /// removed leader is fenced, for one, can be the ISR the target waited for.
    /// </summary>
    private void CompleteReassignmentIfDone(PendingOperation op, KafkaUuid topicId, int partitionId)
    {
        var topic = op.Image.Topic(topicId);
        if (topic is null || partitionId < 0 || partitionId >= topic.Partitions.Length) return;
        var partition = topic.Partitions[partitionId];
        if (!IsReassigning(partition)) return;
        var isr = partition.Isr.Where(r => !partition.RemovingReplicas.Contains(r)).ToList();
        var replicas = partition.Replicas.Where(r => !partition.RemovingReplicas.Contains(r)).ToList();
        if (isr.Count == 0 || replicas.Count == 0 || !replicas.All(isr.Contains)) return;
        if (ChangeReplicas(op, topic, partition, replicas, isr, [], [], LeaderElection.Online) is { } record)
            op.Add(record);
    }

    /// <summary>Adds a partition change made by a broker's lifecycle or an election, then completes the partition's reassignment if that change let it.</summary>
    private void AddPartitionChange(PendingOperation op, PartitionChangeRecord change)
    {
        op.Add(change);
        CompleteReassignmentIfDone(op, change.TopicId, change.PartitionId);
    }

    /// <summary>
    /// The one record giving <paramref name="partition"/> these replicas, ISR and reassignment lists, with a new leader
    /// when the current one is no longer an active ISR member (elected in the new replica order).
    /// </summary>
    private PartitionChangeRecord? ChangeReplicas(PendingOperation op, TopicImage topic, PartitionImage partition,
        List<int> replicas, List<int> isr, List<int> adding, List<int> removing, LeaderElection election)
    {
        var image = op.Image;
        // The election sees the new replica order; eligible leaders that are no longer replicas are dropped.
        var reshaped = partition with { Replicas = [.. replicas], Elr = [.. partition.Elr.Where(replicas.Contains)] };
        var builder = new PartitionChangeBuilder(topic.Id, reshaped, r => IsActiveBroker(image, r),
            PolicyFor(image, topic) with { Election = election }) { TargetIsr = isr };
        var record = builder.Build() ?? new PartitionChangeRecord { TopicId = topic.Id, PartitionId = partition.Partition };
        // An ISR left empty (nobody could lead) still drops members that are no longer replicas.
        if (record.Isr is null && partition.Isr.Any(r => !replicas.Contains(r)))
            record.Isr = isr;
        if (record.EligibleLeaderReplicas is { } elr && elr.Any(r => !replicas.Contains(r)))
            record.EligibleLeaderReplicas = [.. elr.Where(replicas.Contains)];
        if (record.EligibleLeaderReplicas is null && !reshaped.Elr.SequenceEqual(partition.Elr))
            record.EligibleLeaderReplicas = [.. reshaped.Elr];
        if (!replicas.SequenceEqual(partition.Replicas)) record.Replicas = replicas;
        if (!adding.SequenceEqual(partition.AddingReplicas)) record.AddingReplicas = adding;
        if (!removing.SequenceEqual(partition.RemovingReplicas)) record.RemovingReplicas = removing;
        bool changes = record.Isr is not null || record.Leader != ImageFold.NoLeaderChange || record.Replicas is not null
            || record.AddingReplicas is not null || record.RemovingReplicas is not null || record.EligibleLeaderReplicas is not null
            || record.LastKnownElr is not null || record.LeaderRecoveryState != ImageFold.NoRecoveryStateChange;
        return changes ? record : null;
    }
}
