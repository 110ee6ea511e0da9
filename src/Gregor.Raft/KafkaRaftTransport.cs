using Gregor.Net;
using Gregor.Protocol;
using W = Gregor.Protocol.Messages;

namespace Gregor.Raft;

/// <summary>
/// Sends the Raft core's requests to the other voters as Kafka's KRaft RPCs over Gregor.Net connections (one per
/// voter, pipelined), each at the highest version both sides speak, and reads the answers back into the core's
/// messages. A fetch may wait at the leader for up to its max wait, so its timeout is that plus the request timeout.
/// </summary>
public sealed class KafkaRaftTransport(string clusterId, IReadOnlyDictionary<int, BrokerEndpoint> voters, ConnectionSettings settings, RaftSettings raft)
    : IRaftTransport, IAsyncDisposable
{
    private readonly ConnectionPool _pool = new(settings);
    private readonly TimeSpan _requestTimeout = TimeSpan.FromMilliseconds(raft.RequestTimeoutMs);

    public async Task<RaftMessage?> SendAsync(int destination, RaftMessage request, CancellationToken cancellationToken)
    {
        if (!voters.TryGetValue(destination, out var endpoint)) return null;
        var connection = await _pool.GetAsync(endpoint, cancellationToken).ConfigureAwait(false);
        switch (request)
        {
            case VoteRequest vote:
            {
                short version = connection.Versions.Highest(ApiKey.Vote, 2);
                if (vote.PreVote && version < 2) return null; // a node that knows no pre-vote cannot answer one
                var answer = await connection.SendAsync<W.VoteRequest, W.VoteResponse>(RaftWire.ToWire(vote, clusterId, destination), version, _requestTimeout, cancellationToken).ConfigureAwait(false);
                return RaftWire.FromWire(answer, vote.PreVote);
            }
            case BeginQuorumEpochRequest begin:
            {
                short version = connection.Versions.Highest(ApiKey.BeginQuorumEpoch, 1);
                var answer = await connection.SendAsync<W.BeginQuorumEpochRequest, W.BeginQuorumEpochResponse>(RaftWire.ToWire(begin, clusterId, destination), version, _requestTimeout, cancellationToken).ConfigureAwait(false);
                return RaftWire.FromWire(answer);
            }
            case EndQuorumEpochRequest end:
            {
                short version = connection.Versions.Highest(ApiKey.EndQuorumEpoch, 1);
                var answer = await connection.SendAsync<W.EndQuorumEpochRequest, W.EndQuorumEpochResponse>(RaftWire.ToWire(end, clusterId), version, _requestTimeout, cancellationToken).ConfigureAwait(false);
                return RaftWire.FromWire(answer);
            }
            case FetchRequest fetch:
            {
                short version = connection.Versions.Highest(ApiKey.Fetch, 17);
                if (version < RaftWire.MinFetchVersion) return null;
                var timeout = _requestTimeout + TimeSpan.FromMilliseconds(fetch.MaxWaitMs);
                using var frame = await connection.SendFrameAsync((short)ApiKey.Fetch, version, RaftWire.ToWire(fetch, clusterId, version), expectResponse: true, timeout, cancellationToken).ConfigureAwait(false);
                return RaftWire.FromWire(frame!.Decode<W.FetchResponse>((short)ApiKey.Fetch, version), fetch.CorrelationId, FileRaftLog.MaxBatchBytes);
            }
            case FetchSnapshotRequest snapshot:
            {
                short version = connection.Versions.Highest(ApiKey.FetchSnapshot, 1);
                using var frame = await connection.SendFrameAsync((short)ApiKey.FetchSnapshot, version, RaftWire.ToWire(snapshot, clusterId), expectResponse: true, _requestTimeout, cancellationToken).ConfigureAwait(false);
                return RaftWire.FromWire(frame!.Decode<W.FetchSnapshotResponse>((short)ApiKey.FetchSnapshot, version), snapshot.CorrelationId);
            }
            default:
                throw new ArgumentException($"not a Raft request: {request.GetType().Name}", nameof(request));
        }
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
