using Gregor.Raft;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// The quorum RPC handlers' way to this node's Raft member, which opens with the control plane at start (after the
/// handlers are built). A request before that, or after stop, fails like one to an unreachable node.
/// </summary>
public sealed class RaftEndpointSlot : IRaftEndpoint
{
    private IRaftEndpoint? _endpoint;

    public void Attach(IRaftEndpoint endpoint) => Volatile.Write(ref _endpoint, endpoint);

    private IRaftEndpoint Endpoint => Volatile.Read(ref _endpoint) ?? throw new IOException("the metadata quorum member is not running");

    public string ClusterId => Volatile.Read(ref _endpoint)?.ClusterId ?? "";

    public Task<RaftMessage> HandleAsync(int source, RaftMessage request, CancellationToken cancellationToken) =>
        Endpoint.HandleAsync(source, request, cancellationToken);

    public Task<QuorumDescription?> DescribeAsync() => Endpoint.DescribeAsync();
}
