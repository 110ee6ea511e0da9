using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>LeaveGroup v0-5: one member up to v2 (its error is the response's), a batch from v3.</summary>
public sealed class LeaveGroupHandler(GroupCoordinator coordinator) : ApiHandler<LeaveGroupRequest, LeaveGroupResponse>
{
    private const short FirstBatchedVersion = 3;

    public override ApiKey Api => ApiKey.LeaveGroup;

    protected override ValueTask<LeaveGroupResponse?> HandleAsync(RequestContext context, LeaveGroupRequest request, CancellationToken cancellationToken)
    {
        bool batched = context.ApiVersion >= FirstBatchedVersion;
        IReadOnlyList<LeavingMember> leaving = batched
            ? request.Members.Select(m => new LeavingMember(m.MemberId, m.GroupInstanceId)).ToList()
            : [new LeavingMember(request.MemberId, null)];
        LeaveGroupResult result = coordinator.LeaveGroup(request.GroupId, leaving);
        var response = new LeaveGroupResponse { ErrorCode = (short)result.Error };
        if (batched)
        {
            foreach (var (member, error) in result.Members)
                response.Members.Add(new LeaveGroupResponse.MemberResponse { MemberId = member.MemberId, GroupInstanceId = member.GroupInstanceId, ErrorCode = (short)error });
        }
        else if (result.Error == ErrorCode.None && result.Members.Count == 1)
        {
            response.ErrorCode = (short)result.Members[0].Error;
        }
        return ValueTask.FromResult<LeaveGroupResponse?>(response);
    }
}
