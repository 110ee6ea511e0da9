using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Raft;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Quorum;

/// <summary>Vote (and KIP-996 pre-vote, v2) from a candidate of the metadata quorum, answered by this node's Raft member.</summary>
public sealed class VoteHandler(IRaftEndpoint quorum) : ApiHandler<W.VoteRequest, W.VoteResponse>
{
    public override ApiKey Api => ApiKey.Vote;

    protected override async ValueTask<W.VoteResponse?> HandleAsync(RequestContext context, W.VoteRequest request, CancellationToken cancellationToken)
    {
        if (QuorumRequests.ClusterMismatch(request.ClusterId, quorum)) return new W.VoteResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId };
        var vote = RaftWire.FromWire(request, out var error);
        if (vote is null) return new W.VoteResponse { ErrorCode = (short)error };
        var answer = (VoteResponse)await quorum.HandleAsync(vote.CandidateId, vote, cancellationToken).ConfigureAwait(false);
        return RaftWire.ToWire(answer);
    }
}
