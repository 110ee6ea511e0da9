using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>ListGroups v0-5: the groups coordinated here; v4+ filters by state, v5+ by type (all groups here are "classic").</summary>
public sealed class ListGroupsHandler(GroupCoordinator coordinator) : ApiHandler<ListGroupsRequest, ListGroupsResponse>
{
    private const string ClassicType = "classic";

    public override ApiKey Api => ApiKey.ListGroups;

    protected override ValueTask<ListGroupsResponse?> HandleAsync(RequestContext context, ListGroupsRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        var (error, groups) = coordinator.ListGroups(version >= 4 ? request.StatesFilter : null);
        bool typeMatches = version < 5 || request.TypesFilter.Count == 0
            || request.TypesFilter.Contains(ClassicType, StringComparer.OrdinalIgnoreCase);
        var response = new ListGroupsResponse { ErrorCode = (short)error };
        if (typeMatches)
        {
            foreach (GroupListing g in groups)
                response.Groups.Add(new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = g.ProtocolType, GroupState = g.State, GroupType = ClassicType });
        }
        return ValueTask.FromResult<ListGroupsResponse?>(response);
    }
}
