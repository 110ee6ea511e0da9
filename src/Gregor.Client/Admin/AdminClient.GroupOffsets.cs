using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Admin;

// A group's committed offsets, read (OffsetFetch), written as a standalone committer (OffsetCommit) and
// dropped (OffsetDelete), each at the group's coordinator.
internal sealed partial class AdminClient
{
    private const short FirstBatchedOffsetFetchVersion = 8;
    private const short FirstNullTopicsOffsetFetchVersion = 2;
    private const short FirstRequireStableVersion = 7;
    private const short FirstGroupErrorOffsetFetchVersion = 2;

    /// <summary>A routing error in any partition's answer (Kafka gives it to every partition of the request).</summary>
    private static WireErrorCode Routing(IEnumerable<short> partitionCodes) =>
        partitionCodes.Select(Routing).FirstOrDefault(c => c != WireErrorCode.None);

    private static Offset Committed(long offset) => offset < 0 ? Offset.Unset : new Offset(offset);

    public Task<List<ListConsumerGroupOffsetsResult>> ListConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitions> groupPartitions,
        ListConsumerGroupOffsetsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(groupPartitions);
        var requests = groupPartitions.ToList();
        var wanted = new Dictionary<string, List<TopicPartition>?>(StringComparer.Ordinal);
        foreach (var r in requests)
            if (!wanted.TryAdd(r.Group, r.TopicPartitions)) throw new ArgumentException($"group {r.Group} is named twice", nameof(groupPartitions));
        bool requireStable = options?.RequireStableOffsets ?? false;
        return GroupOperationAsync(options, async deadline =>
        {
            var fetched = await _coordinators.RunAsync(wanted.Keys, deadline,
                (coordinator, asked, ct) => FetchOffsetsAsync(coordinator, asked, wanted, requireStable, ct),
                (group, error) => new ListConsumerGroupOffsetsReport { Group = group, Error = error }).ConfigureAwait(false);
            var reports = requests.Select(r => fetched[r.Group]).ToList();
            if (reports.Any(r => GroupErrors.Of(r).Any(e => e.IsError))) throw new ListConsumerGroupOffsetsException(reports);
            return reports.Select(r => new ListConsumerGroupOffsetsResult { Group = r.Group, Partitions = r.Partitions }).ToList();
        });
    }

    private static async Task<IReadOnlyList<GroupAnswer<ListConsumerGroupOffsetsReport>>> FetchOffsetsAsync(GroupCoordinatorConnection coordinator,
        IReadOnlyList<string> asked, Dictionary<string, List<TopicPartition>?> wanted, bool requireStable, CancellationToken cancellationToken)
    {
        var connection = coordinator.Connection;
        short version = connection.Versions.Highest(ApiKey.OffsetFetch);
        if (requireStable && version < FirstRequireStableVersion)
            throw new KafkaException(new Error(ErrorCode.Local_UnsupportedFeature, $"coordinator {coordinator.Node} cannot wait for stable offsets (needs OffsetFetch v7)"));
        if (version >= FirstBatchedOffsetFetchVersion)
        {
            var request = new OffsetFetchRequest
            {
                RequireStable = requireStable,
                Groups = [.. asked.Select(g => new OffsetFetchRequest.OffsetFetchRequestGroup
                {
                    GroupId = g,
                    Topics = wanted[g] is { } partitions
                        ? [.. partitions.GroupBy(tp => tp.Topic).Select(t => new OffsetFetchRequest.OffsetFetchRequestTopics { Name = t.Key, PartitionIndexes = [.. t.Select(tp => tp.Partition.Value)] })]
                        : null,
                })],
            };
            var response = await connection.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(request, version, cancellationToken).ConfigureAwait(false);
            return response.Groups.Select(g => new GroupAnswer<ListConsumerGroupOffsetsReport>(g.GroupId, Routing(g.ErrorCode), new ListConsumerGroupOffsetsReport
            {
                Group = g.GroupId,
                Error = ToError(g.ErrorCode, null),
                Partitions = [.. g.Topics.SelectMany(t => t.Partitions.Select(p =>
                    new TopicPartitionOffsetError(t.Name, p.PartitionIndex, Committed(p.CommittedOffset), ToError(p.ErrorCode, null))))],
            })).ToList();
        }
        var answers = new List<GroupAnswer<ListConsumerGroupOffsetsReport>>(asked.Count);
        foreach (string group in asked)
        {
            var partitions = wanted[group];
            if (partitions is null && version < FirstNullTopicsOffsetFetchVersion)
            {
                answers.Add(new(group, WireErrorCode.None, new ListConsumerGroupOffsetsReport
                {
                    Group = group,
                    Error = new Error(ErrorCode.Local_UnsupportedFeature, $"coordinator {coordinator.Node} cannot list all of a group's offsets (needs OffsetFetch v2); name the partitions"),
                }));
                continue;
            }
            var request = new OffsetFetchRequest
            {
                GroupId = group,
                RequireStable = requireStable,
                Topics = partitions is null ? null
                    : [.. partitions.GroupBy(tp => tp.Topic).Select(t => new OffsetFetchRequest.OffsetFetchRequestTopic { Name = t.Key, PartitionIndexes = [.. t.Select(tp => tp.Partition.Value)] })],
            };
            var r = await connection.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(request, version, cancellationToken).ConfigureAwait(false);
            var codes = r.Topics.SelectMany(t => t.Partitions.Select(p => p.ErrorCode));
            var routing = version >= FirstGroupErrorOffsetFetchVersion ? Routing(r.ErrorCode) : Routing(codes);
            answers.Add(new(group, routing, new ListConsumerGroupOffsetsReport
            {
                Group = group,
                Error = ToError(r.ErrorCode, null), // 0 below v2, which has no group-level error
                Partitions = [.. r.Topics.SelectMany(t => t.Partitions.Select(p =>
                    new TopicPartitionOffsetError(t.Name, p.PartitionIndex, Committed(p.CommittedOffset), ToError(p.ErrorCode, null))))],
            }));
        }
        return answers;
    }

    /// <summary>
    /// Commits offsets as a standalone committer (generation -1, no member id). The coordinator accepts that
    /// only for a group without members; an active group answers UNKNOWN_MEMBER_ID, which is reported as is.
    /// </summary>
    public Task<List<AlterConsumerGroupOffsetsResult>> AlterConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitionOffsets> groupPartitions,
        AlterConsumerGroupOffsetsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(groupPartitions);
        var requests = groupPartitions.ToList();
        var offsets = new Dictionary<string, List<TopicPartitionOffset>>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            if (!offsets.TryAdd(r.Group, r.TopicPartitionOffsets)) throw new ArgumentException($"group {r.Group} is named twice", nameof(groupPartitions));
            var named = new HashSet<TopicPartition>();
            foreach (var tpo in r.TopicPartitionOffsets)
            {
                if (tpo.Offset.Value < 0)
                    throw new ArgumentException($"group {r.Group}: the offset for {tpo.Topic} {tpo.Partition} is {tpo.Offset}; a committed offset is a real one (0 or more)", nameof(groupPartitions));
                if (!named.Add(tpo.TopicPartition))
                    throw new ArgumentException($"group {r.Group}: {tpo.Topic} {tpo.Partition} is named twice", nameof(groupPartitions));
            }
        }
        return GroupOperationAsync(options, async deadline =>
        {
            var committed = await _coordinators.RunAsync(offsets.Keys, deadline, async (coordinator, asked, ct) =>
            {
                short version = coordinator.Connection.Versions.Highest(ApiKey.OffsetCommit);
                var answers = new List<GroupAnswer<AlterConsumerGroupOffsetsReport>>(asked.Count);
                foreach (string group in asked)
                {
                    var request = new OffsetCommitRequest
                    {
                        GroupId = group,
                        GenerationIdOrMemberEpoch = -1,
                        MemberId = "",
                        Topics = [.. offsets[group].GroupBy(o => o.Topic).Select(t => new OffsetCommitRequest.OffsetCommitRequestTopic
                        {
                            Name = t.Key,
                            Partitions = [.. t.Select(o => new OffsetCommitRequest.OffsetCommitRequestPartition
                            {
                                PartitionIndex = o.Partition.Value,
                                CommittedOffset = o.Offset.Value,
                                CommittedMetadata = "",
                            })],
                        })],
                    };
                    var response = await coordinator.Connection.SendAsync<OffsetCommitRequest, OffsetCommitResponse>(request, version, ct).ConfigureAwait(false);
                    var byPartition = response.Topics.SelectMany(t => t.Partitions.Select(p => (Key: new TopicPartition(t.Name, p.PartitionIndex), p.ErrorCode)))
                        .ToDictionary(p => p.Key, p => p.ErrorCode);
                    answers.Add(new(group, Routing(byPartition.Values), new AlterConsumerGroupOffsetsReport
                    {
                        Group = group,
                        Partitions = [.. offsets[group].Select(o => new TopicPartitionOffsetError(o.Topic, o.Partition, o.Offset,
                            byPartition.TryGetValue(o.TopicPartition, out short code) ? ToError(code, null)
                                : new Error(ErrorCode.Local_BadMsg, $"the coordinator did not answer for {o.Topic} {o.Partition}")))],
                    }));
                }
                return answers;
            }, (group, error) => new AlterConsumerGroupOffsetsReport
            {
                Group = group,
                Error = error,
                Partitions = [.. offsets[group].Select(o => new TopicPartitionOffsetError(o.Topic, o.Partition, o.Offset, error))],
            }).ConfigureAwait(false);
            var reports = requests.Select(r => committed[r.Group]).ToList();
            if (reports.Any(r => GroupErrors.Of(r).Any(e => e.IsError))) throw new AlterConsumerGroupOffsetsException(reports);
            return reports.Select(r => new AlterConsumerGroupOffsetsResult { Group = r.Group, Partitions = [.. r.Partitions.Select(p => p.TopicPartitionOffset)] }).ToList();
        });
    }

    /// <summary>Drops a group's committed offsets; refused (GROUP_SUBSCRIBED_TO_TOPIC) for topics its members still consume.</summary>
    public Task<DeleteConsumerGroupOffsetsResult> DeleteConsumerGroupOffsetsAsync(string group, IEnumerable<TopicPartition> partitions,
        DeleteConsumerGroupOffsetsOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        ArgumentNullException.ThrowIfNull(partitions);
        var list = partitions.Distinct().ToList();
        return GroupOperationAsync(options, async deadline =>
        {
            var deleted = await _coordinators.RunAsync([group], deadline, async (coordinator, asked, ct) =>
            {
                short version = coordinator.Connection.Versions.Highest(ApiKey.OffsetDelete);
                var request = new OffsetDeleteRequest
                {
                    GroupId = group,
                    Topics = [.. list.GroupBy(tp => tp.Topic).Select(t => new OffsetDeleteRequest.OffsetDeleteRequestTopic
                    {
                        Name = t.Key,
                        Partitions = [.. t.Select(tp => new OffsetDeleteRequest.OffsetDeleteRequestPartition { PartitionIndex = tp.Partition.Value })],
                    })],
                };
                var response = await coordinator.Connection.SendAsync<OffsetDeleteRequest, OffsetDeleteResponse>(request, version, ct).ConfigureAwait(false);
                var byPartition = response.Topics.SelectMany(t => t.Partitions.Select(p => (Key: new TopicPartition(t.Name, p.PartitionIndex), p.ErrorCode)))
                    .ToDictionary(p => p.Key, p => p.ErrorCode);
                var groupError = ToError(response.ErrorCode, null);
                return [new GroupAnswer<DeleteConsumerGroupOffsetsReport>(group, Routing(response.ErrorCode), new DeleteConsumerGroupOffsetsReport
                {
                    Group = group,
                    Error = groupError,
                    // A group-wide error leaves the partitions unanswered; each carries it then.
                    Partitions = [.. list.Select(tp => new TopicPartitionOffsetError(tp.Topic, tp.Partition, Offset.Unset,
                        byPartition.TryGetValue(tp, out short code) ? ToError(code, null)
                            : groupError.IsError ? groupError : new Error(ErrorCode.Local_BadMsg, $"the coordinator did not answer for {tp.Topic} {tp.Partition}")))],
                })];
            }, (g, error) => new DeleteConsumerGroupOffsetsReport
            {
                Group = g,
                Error = error,
                Partitions = [.. list.Select(tp => new TopicPartitionOffsetError(tp.Topic, tp.Partition, Offset.Unset, error))],
            }).ConfigureAwait(false);
            var report = deleted[group];
            if (GroupErrors.Of(report).Any(e => e.IsError)) throw new DeleteConsumerGroupOffsetsException(report);
            return new DeleteConsumerGroupOffsetsResult { Group = group, Partitions = list };
        });
    }
}
