using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>
/// DescribeGroups v0-5. Without ACLs every operation is allowed, so authorized operations are all a group has.
/// A group named twice is described once; the repeat gets INVALID_REQUEST, so the answer stays bounded by the groups.
/// </summary>
public sealed class DescribeGroupsHandler(GroupCoordinator coordinator) : ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse>
{
    // READ, DESCRIBE, DELETE (Kafka's AclOperation codes 3, 8, 6) as a bit set.
    private const int GroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

    public override ApiKey Api => ApiKey.DescribeGroups;

    protected override ValueTask<DescribeGroupsResponse?> HandleAsync(RequestContext context, DescribeGroupsRequest request, CancellationToken cancellationToken)
    {
        var response = new DescribeGroupsResponse();
        var described = new HashSet<string>(StringComparer.Ordinal);
        foreach (string groupId in request.Groups)
        {
            // A description carries every member's metadata and assignment; a repeat would copy them again.
            if (!described.Add(groupId))
            {
                response.Groups.Add(new DescribeGroupsResponse.DescribedGroup { ErrorCode = (short)ErrorCode.InvalidRequest, GroupId = groupId, AuthorizedOperations = int.MinValue });
                continue;
            }
            GroupDescription d = coordinator.DescribeGroup(groupId);
            response.Groups.Add(new DescribeGroupsResponse.DescribedGroup
            {
                ErrorCode = (short)d.Error,
                GroupId = groupId,
                GroupState = d.State,
                ProtocolType = d.ProtocolType,
                ProtocolData = d.ProtocolData,
                Members = d.Members.Select(m => new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = m.Metadata,
                    MemberAssignment = m.Assignment,
                }).ToList(),
                AuthorizedOperations = context.ApiVersion >= 3 && request.IncludeAuthorizedOperations ? GroupOperations : int.MinValue,
            });
        }
        return ValueTask.FromResult<DescribeGroupsResponse?>(response);
    }
}
