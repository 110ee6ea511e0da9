using System.Net;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>JoinGroup v0-9. The answer may wait for the join phase to end; the connection's other requests wait with it, as in Kafka.</summary>
public sealed class JoinGroupHandler(GroupCoordinator coordinator) : ApiHandler<JoinGroupRequest, JoinGroupResponse>
{
    /// <summary>From v4 a first join without a member id gets MEMBER_ID_REQUIRED and an id to join with (KIP-394).</summary>
    private const short FirstKnownMemberIdVersion = 4;

    public override ApiKey Api => ApiKey.JoinGroup;

    protected override async ValueTask<JoinGroupResponse?> HandleAsync(RequestContext context, JoinGroupRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        // v0 has no rebalance timeout: it is the session timeout there.
        int rebalanceTimeout = version >= 1 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs;
        var args = new JoinGroupArgs(request.GroupId, request.MemberId, version >= 5 ? request.GroupInstanceId : null, request.ProtocolType,
            request.Protocols.Select(p => (p.Name, p.Metadata)).ToList(), request.SessionTimeoutMs, rebalanceTimeout,
            context.ClientId ?? "", ClientHost(context.Peer), version >= FirstKnownMemberIdVersion);
        JoinGroupResult result = await coordinator.JoinGroupAsync(args).WaitAsync(cancellationToken).ConfigureAwait(false);
        var response = new JoinGroupResponse
        {
            ErrorCode = (short)result.Error,
            GenerationId = result.GenerationId,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName ?? (version >= 7 ? null : ""),
            Leader = result.LeaderId,
            MemberId = result.MemberId,
            Members = result.Members.Select(m => new JoinGroupResponse.JoinGroupResponseMember
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                Metadata = m.Metadata,
            }).ToList(),
        };
        return response;
    }

    /// <summary>The client's address as Kafka shows it (<c>/127.0.0.1</c>).</summary>
    internal static string ClientHost(EndPoint? peer) => peer is IPEndPoint ip ? "/" + ip.Address : peer?.ToString() ?? "";
}
