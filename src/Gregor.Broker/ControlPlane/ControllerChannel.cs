using Gregor.Broker.Configuration;
using Gregor.Net;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// A broker's way to the active controller, as Kafka's brokers reach it: over the CONTROLLER listener of the voter
/// that leads the metadata quorum (this node's Raft member knows which). While no leader is known a request goes to
/// a voter picked at random, whose NOT_CONTROLLER answer the caller retries on. One connection per voter, reused.
/// </summary>
public sealed class ControllerChannel : IAsyncDisposable
{
    private readonly IQuorumLeader _quorum;
    private readonly IReadOnlyDictionary<int, BrokerEndpoint> _voters;
    private readonly int[] _voterIds;
    private readonly ConnectionPool _pool;

    public ControllerChannel(IQuorumLeader quorum, BrokerConfig config, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(quorum);
        ArgumentNullException.ThrowIfNull(config);
        _quorum = quorum;
        _voters = config.Quorum.Voters.ToDictionary(v => v.Id, v => new BrokerEndpoint(v.Host, v.Port));
        _voterIds = [.. _voters.Keys.Order()];
        _pool = new ConnectionPool(new ConnectionSettings
        {
            ClientId = $"broker-{config.NodeId}-to-controller",
            SoftwareName = "gregor-broker",
            Clock = time,
            RequestTimeout = RequestTimeout,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ReconnectBackoffMax = TimeSpan.FromSeconds(1),
        });
    }

    /// <summary>How long a request to the controller may take before it counts as failed (Kafka's controller request timeouts are this order).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The active controller as this node knows it, or −1.</summary>
    public async Task<int> ActiveControllerIdAsync()
    {
        int leader = await _quorum.LeaderIdAsync().ConfigureAwait(false);
        return _voters.ContainsKey(leader) ? leader : -1;
    }

    /// <summary>
    /// Sends <paramref name="request"/> at <paramref name="version"/> (at most what the controller supports) to the
    /// active controller and returns its answer. Connection failures and timeouts surface as <see cref="IOException"/>
    /// or <see cref="TimeoutException"/>; an answer naming NOT_CONTROLLER is the caller's to retry.
    /// </summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version, CancellationToken cancellationToken, TimeSpan? timeout = null)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        int target = await ActiveControllerIdAsync().ConfigureAwait(false);
        if (target < 0) target = _voterIds[Random.Shared.Next(_voterIds.Length)];
        var connection = await _pool.GetAsync(_voters[target], cancellationToken).ConfigureAwait(false);
        var api = (Gregor.Protocol.ApiKey)TRequest.Descriptor.ApiKey;
        short highest = connection.Versions.Highest(api, version);
        return await connection.SendAsync<TRequest, TResponse>(request, highest, timeout ?? RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
