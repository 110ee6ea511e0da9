using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Raft;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Quorum;

/// <summary>FetchSnapshot: a follower too far behind the metadata log's start reads the leader's snapshot in pieces.</summary>
public sealed class FetchSnapshotHandler(IRaftEndpoint quorum) : ApiHandler<W.FetchSnapshotRequest, W.FetchSnapshotResponse>
{
    public override ApiKey Api => ApiKey.FetchSnapshot;

    protected override async ValueTask<W.FetchSnapshotResponse?> HandleAsync(RequestContext context, W.FetchSnapshotRequest request, CancellationToken cancellationToken)
    {
        if (QuorumRequests.ClusterMismatch(request.ClusterId, quorum)) return new W.FetchSnapshotResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId };
        var fetch = RaftWire.FromWire(request, out var error);
        if (fetch is null) return new W.FetchSnapshotResponse { ErrorCode = (short)error };
        var answer = (FetchSnapshotResponse)await quorum.HandleAsync(fetch.ReplicaId, fetch, cancellationToken).ConfigureAwait(false);
        return RaftWire.ToWire(answer);
    }
}
