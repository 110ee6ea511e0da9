using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>OffsetDelete v0: drops a group's offsets, refusing (GROUP_SUBSCRIBED_TO_TOPIC) those of topics its members consume.</summary>
public sealed class OffsetDeleteHandler(GroupCoordinator coordinator) : ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse>
{
    public override ApiKey Api => ApiKey.OffsetDelete;

    protected override ValueTask<OffsetDeleteResponse?> HandleAsync(RequestContext context, OffsetDeleteRequest request, CancellationToken cancellationToken)
    {
        var partitions = request.Topics.SelectMany(t => t.Partitions.Select(p => (t.Name, p.PartitionIndex))).ToList();
        var (error, results) = coordinator.DeleteOffsets(request.GroupId, partitions);
        var response = new OffsetDeleteResponse { ErrorCode = (short)error };
        foreach (var byTopic in results.GroupBy(r => r.Topic, StringComparer.Ordinal))
        {
            response.Topics.Add(new OffsetDeleteResponse.OffsetDeleteResponseTopic
            {
                Name = byTopic.Key,
                Partitions = byTopic.Select(r => new OffsetDeleteResponse.OffsetDeleteResponsePartition { PartitionIndex = r.Partition, ErrorCode = (short)r.Error }).ToList(),
            });
        }
        return ValueTask.FromResult<OffsetDeleteResponse?>(response);
    }
}
