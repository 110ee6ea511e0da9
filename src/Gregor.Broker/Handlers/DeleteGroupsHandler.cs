using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>DeleteGroups v0-2: empty groups go with their offsets; others get NON_EMPTY_GROUP.</summary>
public sealed class DeleteGroupsHandler(GroupCoordinator coordinator) : ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse>
{
    public override ApiKey Api => ApiKey.DeleteGroups;

    protected override ValueTask<DeleteGroupsResponse?> HandleAsync(RequestContext context, DeleteGroupsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteGroupsResponse();
        foreach (string groupId in request.GroupsNames.Distinct(StringComparer.Ordinal))
            response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult { GroupId = groupId, ErrorCode = (short)coordinator.DeleteGroup(groupId) });
        return ValueTask.FromResult<DeleteGroupsResponse?>(response);
    }
}
