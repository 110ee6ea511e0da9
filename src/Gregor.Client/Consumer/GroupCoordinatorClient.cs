using Gregor.Client.Groups;
using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>
/// Talks to a consumer group's coordinator: finds it with FindCoordinator (key type group) through any broker,
/// remembers it, and runs requests there. A NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE answer, or a lost
/// connection, makes it look the coordinator up again; COORDINATOR_LOAD_IN_PROGRESS makes it wait and retry.
/// Retries back off from retry.backoff.ms, doubling up to retry.backoff.max.ms, until the caller's token ends
/// them. Shared by committed-offset handling and group membership.
/// </summary>
internal sealed class GroupCoordinatorClient
{
    private readonly MetadataManager _metadata;
    private readonly ConnectionPool _pool;
    private readonly TimeSpan _retryBackoff;
    private readonly TimeSpan _retryBackoffMax;
    private readonly TimeProvider _clock;
    private volatile Coordinator? _known;

    public GroupCoordinatorClient(string groupId, MetadataManager metadata, ConnectionPool pool, TimeSpan retryBackoff, TimeSpan retryBackoffMax, TimeProvider clock)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        GroupId = groupId;
        _metadata = metadata;
        _pool = pool;
        _retryBackoff = retryBackoff;
        _retryBackoffMax = retryBackoffMax < retryBackoff ? retryBackoff : retryBackoffMax;
        _clock = clock;
    }

    public string GroupId { get; }

    /// <summary>Whether an error code means the coordinator must be looked up again.</summary>
    public static bool MeansCoordinatorMoved(WireErrorCode error) =>
        error is WireErrorCode.NotCoordinator or WireErrorCode.CoordinatorNotAvailable;

    /// <summary>The connection to the coordinator, looking it up first if it is not known.</summary>
    public async Task<BrokerConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        var known = _known ?? await FindAsync(cancellationToken).ConfigureAwait(false);
        _known = known;
        return await _pool.GetAsync(known.Endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets the coordinator, so the next request looks it up again.</summary>
    public void Forget() => _known = null;

    private async Task<Coordinator> FindAsync(CancellationToken cancellationToken)
    {
        var connection = await _metadata.AnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        short version = connection.Versions.Highest(ApiKey.FindCoordinator);
        var response = await connection.SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(
            GroupCoordinatorLookup.ForGroup(GroupId), version, cancellationToken).ConfigureAwait(false);
        var (error, node, message) = GroupCoordinatorLookup.Read(response, GroupId);
        if (node is null)
            throw new KafkaErrorException(error, $"no coordinator for group '{GroupId}': {message ?? error.KafkaName()}");
        return new Coordinator(node.NodeId, new BrokerEndpoint(node.Host, node.Port));
    }

    /// <summary>
    /// Sends a request to the coordinator and returns its answer, retrying (see the class) while
    /// <paramref name="coordinatorError"/> finds a coordinator error in the answer or the coordinator cannot be
    /// reached. Cancelling <paramref name="cancellationToken"/> ends the retries with a
    /// <see cref="KafkaErrorException"/> carrying the last failure (or the cancellation when there was none).
    /// </summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(Func<short, TRequest> build, Func<TResponse, WireErrorCode> coordinatorError,
        CancellationToken cancellationToken)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        var backoff = _retryBackoff;
        KafkaErrorException? last = null;
        while (true)
        {
            try
            {
                var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
                short version = connection.Versions.Highest((ApiKey)TRequest.Descriptor.ApiKey);
                var response = await connection.SendAsync<TRequest, TResponse>(build(version), version, cancellationToken).ConfigureAwait(false);
                var error = coordinatorError(response);
                if (MeansCoordinatorMoved(error)) Forget();
                else if (error != WireErrorCode.CoordinatorLoadInProgress) return response;
                last = new KafkaErrorException(error, $"coordinator of group '{GroupId}' answered {error.KafkaName()}");
            }
            catch (KafkaErrorException e) when (e.Code.IsRetriable() || e.Code == WireErrorCode.NetworkException)
            {
                Forget();
                last = e;
            }
            catch (BrokerConnectionException e)
            {
                Forget();
                last = new KafkaErrorException(e.Code, $"coordinator of group '{GroupId}': {e.Message}", e);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && last is not null)
            {
                throw last;
            }
            try
            {
                await Task.Delay(Jittered(backoff), _clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (last is not null)
            {
                throw last;
            }
            backoff = backoff * 2 > _retryBackoffMax ? _retryBackoffMax : backoff * 2;
        }
    }

    private static TimeSpan Jittered(TimeSpan backoff) => backoff * (0.8 + (0.4 * Random.Shared.NextDouble()));

    private sealed record Coordinator(int NodeId, BrokerEndpoint Endpoint);
}
