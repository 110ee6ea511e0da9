using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Raft;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Quorum;

/// <summary>EndQuorumEpoch: the leader of the metadata quorum resigns and names who should stand first.</summary>
public sealed class EndQuorumEpochHandler(IRaftEndpoint quorum) : ApiHandler<W.EndQuorumEpochRequest, W.EndQuorumEpochResponse>
{
    public override ApiKey Api => ApiKey.EndQuorumEpoch;

    protected override async ValueTask<W.EndQuorumEpochResponse?> HandleAsync(RequestContext context, W.EndQuorumEpochRequest request, CancellationToken cancellationToken)
    {
        if (QuorumRequests.ClusterMismatch(request.ClusterId, quorum)) return new W.EndQuorumEpochResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId };
        var end = RaftWire.FromWire(request, context.ApiVersion, out var error);
        if (end is null) return new W.EndQuorumEpochResponse { ErrorCode = (short)error };
        var answer = (EndQuorumEpochResponse)await quorum.HandleAsync(end.LeaderId, end, cancellationToken).ConfigureAwait(false);
        return RaftWire.ToWire(answer);
    }
}
