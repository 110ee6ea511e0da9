using Gregor.Metadata.Records;
using Gregor.Protocol;

namespace Gregor.Metadata.Controller;

/// <summary>
/// Leader elections asked by an administrator (ElectLeaders, KIP-460), with Kafka's controller's rules: a preferred
/// election moves leadership to the first replica when it is an active ISR member; an unclean one gives a leaderless
/// partition a leader, uncleanly if no ISR member can lead.
/// </summary>
public sealed partial class QuorumController
{
    /// <summary>
    /// ElectLeaders. Each partition named gets its own result: ELECTION_NOT_NEEDED when it already has the leader asked
    /// for (preferred: led by its first replica; unclean: led at all), PREFERRED_LEADER_NOT_AVAILABLE or
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE when nobody suitable can lead, UNKNOWN_TOPIC_OR_PARTITION. With
    /// <paramref name="topics"/> null every partition is tried and those that needed no election are left out of the
    /// answer, as Kafka answers. All the changes commit as one batch before the answer.
    /// </summary>
    public Task<IReadOnlyList<TopicElectionOutcome>> ElectLeadersAsync(ElectionType type, IReadOnlyList<ElectionTopic>? topics,
        CancellationToken cancellationToken = default)
    {
        if (type is not (ElectionType.Preferred or ElectionType.Unclean))
            throw new ArgumentOutOfRangeException(nameof(type), type, "unknown election type");
        return RunAsync(commit: true, cancellationToken, op =>
        {
            var outcomes = new List<TopicElectionOutcome>();
            if (topics is null)
            {
                foreach (var topic in op.Image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList())
                {
                    var results = new List<PartitionElectionOutcome>();
                    for (int p = 0; p < topic.Partitions.Length; p++)
                    {
                        var result = Elect(op, type, topic.Name, p);
                        if (result.Error != ErrorCode.ElectionNotNeeded) results.Add(result);
                    }
                    outcomes.Add(new TopicElectionOutcome(topic.Name, results));
                }
                return (IReadOnlyList<TopicElectionOutcome>)outcomes;
            }
            foreach (var asked in topics)
                outcomes.Add(new TopicElectionOutcome(asked.Topic, [.. asked.Partitions.Select(p => Elect(op, type, asked.Topic, p))]));
            return outcomes;
        });
    }

    private PartitionElectionOutcome Elect(PendingOperation op, ElectionType type, string topicName, int partitionId)
    {
        if (op.Image.Topic(topicName) is not { } topic)
            return new(partitionId, ErrorCode.UnknownTopicOrPartition, $"No such topic as {topicName}");
        if (partitionId < 0 || partitionId >= topic.Partitions.Length)
            return new(partitionId, ErrorCode.UnknownTopicOrPartition, $"No such partition as {topicName}-{partitionId}");
        var partition = topic.Partitions[partitionId];
        if (type == ElectionType.Preferred ? HasPreferredLeader(partition) : partition.Leader >= 0)
            return new(partitionId, ErrorCode.ElectionNotNeeded, null);

        var record = type == ElectionType.Preferred
            ? PreferredElection(op.Image, topic, partition)
            : new PartitionChangeBuilder(topic.Id, partition, r => IsActiveBroker(op.Image, r),
                PolicyFor(op.Image, topic) with { Election = LeaderElection.Unclean }).Build();
        if (record is null)
            return type == ElectionType.Preferred
                ? new(partitionId, ErrorCode.PreferredLeaderNotAvailable, $"Failed to elect the preferred leader {partition.Replicas.FirstOrDefault(-1)} for {topicName}-{partitionId}")
                : new(partitionId, ErrorCode.EligibleLeadersNotAvailable, $"No replica of {topicName}-{partitionId} is active to lead it");
        AddPartitionChange(op, record);
        return new(partitionId, ErrorCode.None, null);
    }

    private static bool HasPreferredLeader(PartitionImage partition) =>
        partition.Replicas.Length > 0 && partition.Leader == partition.Replicas[0];

    /// <summary>
    /// The change a preferred election makes: the first replica leads when it is an active ISR member; else a leader
    /// that may go on stays (no change); else, with no leader able to go on, the ordinary election picks one.
    /// </summary>
    private PartitionChangeRecord? PreferredElection(MetadataImage image, TopicImage topic, PartitionImage partition)
    {
        if (partition.Replicas.Length == 0) return null;
        int preferred = partition.Replicas[0];
        if (partition.Isr.Contains(preferred) && IsActiveBroker(image, preferred))
        {
            var record = new PartitionChangeRecord { TopicId = topic.Id, PartitionId = partition.Partition, Leader = preferred };
            // A partition that had no leader forgets the last one it had (KIP-966), as every election does.
            if (partition.LastKnownElr.Length > 0 && _settings.EligibleLeaderReplicas) record.LastKnownElr = [];
            return record;
        }
        if (partition.Leader >= 0 && partition.Isr.Contains(partition.Leader) && IsActiveBroker(image, partition.Leader))
            return null;
        var elected = new PartitionChangeBuilder(topic.Id, partition, r => IsActiveBroker(image, r), PolicyFor(image, topic) with { Election = LeaderElection.Online }).Build();
        return elected is { Leader: >= 0 } ? elected : null;
    }
}
