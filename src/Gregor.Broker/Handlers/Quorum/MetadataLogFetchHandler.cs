using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Raft;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Quorum;

/// <summary>
/// Fetch on a controller-only node: only replicas of the metadata log (<c>__cluster_metadata-0</c>, from Fetch v12)
/// are served, by the node's Raft member — which may hold the fetch until there is news. Anything else is refused
/// as Kafka's controllers refuse it.
/// </summary>
public sealed class MetadataLogFetchHandler(IRaftEndpoint quorum) : ApiHandler<W.FetchRequest, W.FetchResponse>
{
    public override ApiKey Api => ApiKey.Fetch;

    public override short LowestVersion => RaftWire.MinFetchVersion;

    protected override async ValueTask<W.FetchResponse?> HandleAsync(RequestContext context, W.FetchRequest request, CancellationToken cancellationToken) =>
        await AnswerAsync(quorum, context, request, cancellationToken).ConfigureAwait(false);

    /// <summary>The Raft member's answer to a replica's fetch of the metadata log (also used by a combined node's data-plane Fetch).</summary>
    internal static async ValueTask<W.FetchResponse> AnswerAsync(IRaftEndpoint quorum, RequestContext context, W.FetchRequest request, CancellationToken cancellationToken)
    {
        if (QuorumRequests.ClusterMismatch(request.ClusterId, quorum)) return new W.FetchResponse { ErrorCode = (short)ErrorCode.InconsistentClusterId };
        var fetch = RaftWire.FromWire(request, context.ApiVersion, out var error);
        if (fetch is null) return new W.FetchResponse { ErrorCode = (short)error };
        var answer = (FetchResponse)await quorum.HandleAsync(fetch.ReplicaId, fetch, cancellationToken).ConfigureAwait(false);
        return RaftWire.ToWire(answer, context.ApiVersion);
    }
}
