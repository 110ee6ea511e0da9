using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>
/// OffsetFetch v0-9: one group up to v7, several from v8 (a repeated group gets INVALID_REQUEST); null topics (v2+)
/// ask for every committed partition.
/// There are no transactional offsets here, so require_stable never finds one pending.
/// </summary>
public sealed class OffsetFetchHandler(GroupCoordinator coordinator) : ApiHandler<OffsetFetchRequest, OffsetFetchResponse>
{
    private const short FirstBatchedVersion = 8;
    private const short FirstTopLevelErrorVersion = 2;

    public override ApiKey Api => ApiKey.OffsetFetch;

    protected override ValueTask<OffsetFetchResponse?> HandleAsync(RequestContext context, OffsetFetchRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        var response = new OffsetFetchResponse();
        if (version >= FirstBatchedVersion)
        {
            var fetched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var group in request.Groups)
            {
                // A null topic list asks for all of a group's offsets; a repeated group must not repeat them.
                if (!fetched.Add(group.GroupId))
                {
                    response.Groups.Add(new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId, ErrorCode = (short)ErrorCode.InvalidRequest });
                    continue;
                }
                OffsetFetchResult result = coordinator.FetchOffsets(group.GroupId, group.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList());
                var described = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId, ErrorCode = (short)result.Error };
                foreach (var byTopic in result.Offsets.GroupBy(o => o.Topic, StringComparer.Ordinal))
                {
                    described.Topics.Add(new OffsetFetchResponse.OffsetFetchResponseTopics
                    {
                        Name = byTopic.Key,
                        Partitions = byTopic.Select(o => new OffsetFetchResponse.OffsetFetchResponsePartitions
                        {
                            PartitionIndex = o.Partition,
                            CommittedOffset = o.Offset?.Offset ?? -1,
                            CommittedLeaderEpoch = o.Offset?.LeaderEpoch ?? -1,
                            Metadata = o.Offset?.Metadata ?? "",
                        }).ToList(),
                    });
                }
                response.Groups.Add(described);
            }
            return ValueTask.FromResult<OffsetFetchResponse?>(response);
        }

        // Before v2 a null topic list is not expressible; v0-1 carry errors per partition only.
        var topics = request.Topics?.Select(t => (t.Name, (IReadOnlyList<int>)t.PartitionIndexes)).ToList();
        OffsetFetchResult single = coordinator.FetchOffsets(request.GroupId, topics);
        bool topLevelError = version >= FirstTopLevelErrorVersion;
        if (single.Error != ErrorCode.None && !topLevelError)
        {
            // Kafka answers each asked partition with the group's error.
            single = new OffsetFetchResult(single.Error, (topics ?? []).SelectMany(t => t.Item2.Select(p => (t.Name, p, (CommittedOffset?)null))).ToList());
        }
        if (topLevelError)
            response.ErrorCode = (short)single.Error;
        foreach (var byTopic in single.Offsets.GroupBy(o => o.Topic, StringComparer.Ordinal))
        {
            response.Topics.Add(new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = byTopic.Key,
                Partitions = byTopic.Select(o => new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = o.Partition,
                    CommittedOffset = o.Offset?.Offset ?? -1,
                    CommittedLeaderEpoch = o.Offset?.LeaderEpoch ?? -1,
                    Metadata = o.Offset?.Metadata ?? "",
                    ErrorCode = topLevelError ? (short)0 : (short)single.Error,
                }).ToList(),
            });
        }
        return ValueTask.FromResult<OffsetFetchResponse?>(response);
    }
}
