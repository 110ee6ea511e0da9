namespace Gregor.Raft;

/// <summary>
/// Carries the Raft core's requests to other nodes and brings back their answers: an RPC per request, as KRaft
/// runs over Kafka's Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and FetchSnapshot. Null (or an exception) when
/// no answer came; the core resends on its own timeouts, so the transport never retries.
/// </summary>
public interface IRaftTransport
{
    Task<RaftMessage?> SendAsync(int destination, RaftMessage request, CancellationToken cancellationToken);
}
