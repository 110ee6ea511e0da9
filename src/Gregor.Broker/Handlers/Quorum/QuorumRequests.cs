using Gregor.Raft;

namespace Gregor.Broker.Handlers.Quorum;

/// <summary>Checks every quorum RPC shares.</summary>
internal static class QuorumRequests
{
    /// <summary>A request from a node of another cluster (a cluster id that is given and differs) is refused with INCONSISTENT_CLUSTER_ID.</summary>
    public static bool ClusterMismatch(string? requestClusterId, IRaftEndpoint quorum) =>
        requestClusterId is not null && !string.Equals(requestClusterId, quorum.ClusterId, StringComparison.Ordinal);
}
