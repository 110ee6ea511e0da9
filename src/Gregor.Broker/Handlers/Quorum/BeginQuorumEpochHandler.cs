using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Raft;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Quorum;

/// <summary>BeginQuorumEpoch: a new leader of the metadata quorum announces its epoch.</summary>
public sealed class BeginQuorumEpochHandler(IRaftEndpoint quorum) : ApiHandler<W.BeginQuorumEpochRequest, W.BeginQuorumEpochResponse>
{
    public override ApiKey Api => ApiKey.BeginQuorumEpoch;

    protected override async ValueTask<W.BeginQuorumEpochResponse?> HandleAsync(RequestContext context, W.BeginQuorumEpochRequest request, CancellationToken cancellationToken)
    {
        if (QuorumRequests.ClusterMismatch(request.ClusterId, quorum)) return new W.BeginQuorumEpochResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId };
        var begin = RaftWire.FromWire(request, out var error);
        if (begin is null) return new W.BeginQuorumEpochResponse { ErrorCode = (short)error };
        var answer = (BeginQuorumEpochResponse)await quorum.HandleAsync(begin.LeaderId, begin, cancellationToken).ConfigureAwait(false);
        return RaftWire.ToWire(answer);
    }
}
