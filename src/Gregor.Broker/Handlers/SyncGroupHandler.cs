using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>SyncGroup v0-5: the leader hands in assignments; each member waits for its own.</summary>
public sealed class SyncGroupHandler(GroupCoordinator coordinator) : ApiHandler<SyncGroupRequest, SyncGroupResponse>
{
    public override ApiKey Api => ApiKey.SyncGroup;

    protected override async ValueTask<SyncGroupResponse?> HandleAsync(RequestContext context, SyncGroupRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        var args = new SyncGroupArgs(request.GroupId, request.GenerationId, request.MemberId, version >= 3 ? request.GroupInstanceId : null,
            version >= 5 ? request.ProtocolType : null, version >= 5 ? request.ProtocolName : null,
            request.Assignments.Select(a => (a.MemberId, a.Assignment)).ToList());
        SyncGroupResult result = await coordinator.SyncGroupAsync(args).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new SyncGroupResponse
        {
            ErrorCode = (short)result.Error,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName,
            Assignment = result.Assignment,
        };
    }
}
