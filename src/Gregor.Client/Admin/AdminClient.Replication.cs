using Gregor.Protocol.Messages;

namespace Gregor.Client.Admin;

// Leader elections and partition reassignments, answered by the active controller (brokers forward them).
internal sealed partial class AdminClient
{
    public async Task<ElectLeadersResult> ElectLeadersAsync(ElectionType electionType, IEnumerable<TopicPartition>? partitions, ElectLeadersOptions? options = null)
    {
        var asked = partitions?.ToList();
        if (electionType == ElectionType.Unclean && asked is null)
            throw new ArgumentException("an unclean election names its partitions", nameof(partitions));
        var response = await ExchangeAsync<ElectLeadersRequest, ElectLeadersResponse>(options, null, version =>
        {
            if (version == 0 && electionType != ElectionType.Preferred)
                throw new KafkaException(new Error(ErrorCode.UnsupportedVersion, "the broker only does preferred elections (ElectLeaders v0)"));
            return new ElectLeadersRequest
            {
                ElectionType = (sbyte)electionType,
                TimeoutMs = TimeoutMs(options),
                TopicPartitions = asked is null ? null : [.. asked.GroupBy(p => p.Topic, StringComparer.Ordinal).Select(g => new ElectLeadersRequest.ElectionTopic
                {
                    Topic = g.Key,
                    Partitions = [.. g.Select(p => p.Partition.Value).Distinct()],
                })],
            };
        }).ConfigureAwait(false);
        var report = new ElectLeadersReport
        {
            TopicPartitions = [.. response.ReplicaElectionResults.SelectMany(t => t.PartitionResult.Select(p =>
                new TopicPartitionError(t.Topic, new Partition(p.PartitionId), ToError(p.ErrorCode != 0 ? p.ErrorCode : response.ErrorCode, p.ErrorMessage))))],
        };
        if (response.ErrorCode != 0 && report.TopicPartitions.Count == 0)
            throw new KafkaException(ToError(response.ErrorCode, null));
        if (report.TopicPartitions.Any(p => p.Error.IsError && p.Error.Code != ErrorCode.ElectionNotNeeded))
            throw new ElectLeadersException(report);
        return new ElectLeadersResult { TopicPartitions = report.TopicPartitions };
    }

    public async Task AlterPartitionReassignmentsAsync(IEnumerable<PartitionReassignmentSpecification> reassignments, AlterPartitionReassignmentsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reassignments);
        var list = reassignments.ToList();
        var response = await ExchangeAsync<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(options, null, _ => new AlterPartitionReassignmentsRequest
        {
            TimeoutMs = TimeoutMs(options),
            Topics = [.. list.GroupBy(r => r.Topic, StringComparer.Ordinal).Select(g => new AlterPartitionReassignmentsRequest.ReassignableTopic
            {
                Name = g.Key,
                Partitions = [.. g.Select(r => new AlterPartitionReassignmentsRequest.ReassignablePartition
                {
                    PartitionIndex = r.Partition,
                    Replicas = r.Replicas is null ? null : [.. r.Replicas],
                })],
            })],
        }).ConfigureAwait(false);
        if (response.ErrorCode != 0)
            throw new KafkaException(ToError(response.ErrorCode, response.ErrorMessage));
        var results = response.Responses.SelectMany(t => t.Partitions.Select(p =>
            new TopicPartitionError(t.Name, new Partition(p.PartitionIndex), ToError(p.ErrorCode, p.ErrorMessage)))).ToList();
        if (results.Any(r => r.Error.IsError)) throw new AlterPartitionReassignmentsException(results);
    }

    public async Task<List<PartitionReassignmentInfo>> ListPartitionReassignmentsAsync(IEnumerable<TopicPartition>? partitions = null, ListPartitionReassignmentsOptions? options = null)
    {
        var asked = partitions?.ToList();
        var response = await ExchangeAsync<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(options, null, _ => new ListPartitionReassignmentsRequest
        {
            TimeoutMs = TimeoutMs(options),
            Topics = asked is null ? null : [.. asked.GroupBy(p => p.Topic, StringComparer.Ordinal).Select(g => new ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics
            {
                Name = g.Key,
                PartitionIndexes = [.. g.Select(p => p.Partition.Value).Distinct()],
            })],
        }).ConfigureAwait(false);
        if (response.ErrorCode != 0)
            throw new KafkaException(ToError(response.ErrorCode, response.ErrorMessage));
        return [.. response.Topics.SelectMany(t => t.Partitions.Select(p => new PartitionReassignmentInfo
        {
            Topic = t.Name,
            Partition = p.PartitionIndex,
            Replicas = [.. p.Replicas],
            AddingReplicas = [.. p.AddingReplicas],
            RemovingReplicas = [.. p.RemovingReplicas],
        }))];
    }
}
