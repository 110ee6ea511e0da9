namespace Gregor.Raft;

/// <summary>Where a node's request handlers deliver the quorum's RPCs: the running quorum member and the cluster it belongs to.</summary>
public interface IRaftEndpoint
{
    string ClusterId { get; }

    Task<RaftMessage> HandleAsync(int source, RaftMessage request, CancellationToken cancellationToken);

    /// <summary>The quorum as this node leads it, or null when it does not lead.</summary>
    Task<QuorumDescription?> DescribeAsync();
}
