using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>OffsetCommit v0-9: answered after the offsets are in <c>__consumer_offsets</c>.</summary>
public sealed class OffsetCommitHandler(GroupCoordinator coordinator) : ApiHandler<OffsetCommitRequest, OffsetCommitResponse>
{
    public override ApiKey Api => ApiKey.OffsetCommit;

    protected override ValueTask<OffsetCommitResponse?> HandleAsync(RequestContext context, OffsetCommitRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        var offsets = new List<OffsetToCommit>();
        foreach (var topic in request.Topics)
            foreach (var p in topic.Partitions)
                offsets.Add(new OffsetToCommit(topic.Name, p.PartitionIndex, p.CommittedOffset, version >= 6 ? p.CommittedLeaderEpoch : -1, p.CommittedMetadata));
        var args = new OffsetCommitArgs(request.GroupId, version >= 1 ? request.GenerationIdOrMemberEpoch : -1, version >= 1 ? request.MemberId : "",
            version >= 7 ? request.GroupInstanceId : null, offsets);
        var results = coordinator.CommitOffsets(args);
        var response = new OffsetCommitResponse();
        foreach (var byTopic in results.GroupBy(r => r.Offset.Topic, StringComparer.Ordinal))
        {
            response.Topics.Add(new OffsetCommitResponse.OffsetCommitResponseTopic
            {
                Name = byTopic.Key,
                Partitions = byTopic.Select(r => new OffsetCommitResponse.OffsetCommitResponsePartition
                {
                    PartitionIndex = r.Offset.Partition,
                    ErrorCode = (short)r.Error,
                }).ToList(),
            });
        }
        return ValueTask.FromResult<OffsetCommitResponse?>(response);
    }
}
