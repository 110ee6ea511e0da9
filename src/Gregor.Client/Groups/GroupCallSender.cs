using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>
/// Sends the membership's calls over the client's transport. FindCoordinator and Metadata go to
/// any broker; the coordinator's requests go over a connection of their own (as the Java client
/// keeps one apart for the coordinator), because the broker holds a JoinGroup — and the requests
/// queued behind it on that connection — until the whole group has joined, which must neither
/// stall the consumer's fetches nor trip the request timeout: that pool's timeout is the join's.
/// Versions are the highest both sides speak.
/// </summary>
internal sealed class GroupCallSender(MetadataManager metadata, ConnectionPool coordinatorPool)
{
    private readonly MetadataManager _metadata = metadata;
    private readonly ConnectionPool _coordinatorPool = coordinatorPool;

    public ConnectionPool CoordinatorPool => _coordinatorPool;

    public async Task<FindCoordinatorResponse> FindCoordinatorAsync(FindCoordinatorCall call, CancellationToken token)
    {
        var connection = await _metadata.AnyConnectionAsync(token).ConfigureAwait(false);
        short version = connection.Versions.Highest(ApiKey.FindCoordinator);
        return await connection.SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(call.Request, version, token).ConfigureAwait(false);
    }

    public async Task<TopicsSnapshot> MetadataAsync(MetadataCall call, CancellationToken token)
    {
        var connection = await _metadata.AnyConnectionAsync(token).ConfigureAwait(false);
        short version = connection.Versions.Highest(ApiKey.Metadata);
        if (call.Topics is null && version == 0) throw new KafkaErrorException(WireErrorCode.UnsupportedVersion, "Metadata v0 cannot ask for every topic");
        var request = new MetadataRequest
        {
            // The membership only looks: creating topics is the consumer's business.
            AllowAutoTopicCreation = false,
            Topics = call.Topics is null ? null : [.. call.Topics.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t })],
        };
        var response = await connection.SendAsync<MetadataRequest, MetadataResponse>(request, version, token).ConfigureAwait(false);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var internalTopics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in response.Topics)
        {
            if (topic.Name is null || (WireErrorCode)topic.ErrorCode != WireErrorCode.None) continue;
            counts[topic.Name] = topic.Partitions.Count;
            if (topic.IsInternal) internalTopics.Add(topic.Name);
        }
        return new TopicsSnapshot(counts, internalTopics, call.Topics is null);
    }

    public async Task<TResponse> ToCoordinatorAsync<TRequest, TResponse>(CoordinatorNode coordinator, TRequest request, CancellationToken token, short lowest = 0)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        var connection = await _coordinatorPool.GetAsync(new BrokerEndpoint(coordinator.Host, coordinator.Port), token).ConfigureAwait(false);
        short version = connection.Versions.Highest((ApiKey)TRequest.Descriptor.ApiKey);
        if (version < lowest)
            throw new KafkaException(new Error(ErrorCode.UnsupportedVersion,
                $"the coordinator speaks {(ApiKey)TRequest.Descriptor.ApiKey} up to v{version}; static membership (group.instance.id) needs v{lowest}"));
        return await connection.SendAsync<TRequest, TResponse>(request, version, token).ConfigureAwait(false);
    }

    /// <summary>Closes the coordinator connection: a request given up on may still hold it on the broker's side.</summary>
    public async Task DropCoordinatorConnectionAsync(CoordinatorNode? coordinator)
    {
        if (coordinator is null) return;
        var endpoint = new BrokerEndpoint(coordinator.Host, coordinator.Port);
        if (!_coordinatorPool.IsConnected(endpoint)) return;
        var connection = await _coordinatorPool.GetAsync(endpoint).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
