using System.Collections.Concurrent;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;
using Gregor.Protocol.Messages;

namespace Gregor.Client.Metadata;

/// <summary>
/// Keeps the client's view of the cluster. Bootstraps from any reachable address of
/// bootstrap.servers, then asks known brokers. Refreshes on demand (a caller saw a stale leader,
/// an unknown topic or a dead connection), at most once per refresh backoff, and at least every
/// metadata.max.age.ms. Only topics someone asked about are requested, so a refresh stays small.
/// </summary>
internal sealed class MetadataManager : IAsyncDisposable
{
    private readonly IReadOnlyList<BrokerEndpoint> _bootstrap;
    private readonly ConnectionPool _pool;
    private readonly TimeSpan _maxAge;
    private readonly TimeSpan _refreshBackoff;
    private readonly bool _allowAutoTopicCreation;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, byte> _topics = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshRequested = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _refreshLock = new();
    private readonly Task _periodic;
    private Task<ClusterMetadata>? _refreshing;
    private volatile ClusterMetadata _current = ClusterMetadata.Empty;

    public MetadataManager(IReadOnlyList<BrokerEndpoint> bootstrap, ConnectionPool pool, TimeSpan maxAge, TimeSpan refreshBackoff, bool allowAutoTopicCreation)
    {
        _bootstrap = bootstrap;
        _pool = pool;
        _maxAge = maxAge;
        _refreshBackoff = refreshBackoff;
        _allowAutoTopicCreation = allowAutoTopicCreation;
        _clock = pool.Settings.Clock;
        _periodic = RefreshPeriodicallyAsync();
    }

    public ClusterMetadata Current => _current;

    public ConnectionPool Pool => _pool;

    /// <summary>Asks for a refresh soon, without waiting for it.</summary>
    public void RequestRefresh()
    {
        try { _refreshRequested.Release(); }
        catch (SemaphoreFullException) { } // one is already asked for
        catch (ObjectDisposedException) { }
    }

    /// <summary>Fetches metadata now for the topics of interest (sharing a refresh already under way).</summary>
    public Task<ClusterMetadata> RefreshAsync(CancellationToken cancellationToken = default)
    {
        lock (_refreshLock)
        {
            if (_refreshing is null || _refreshing.IsCompleted) _refreshing = FetchAsync(null, _stop.Token);
            return _refreshing.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Fetches metadata for the named topics (null: every topic) and folds it into the cache.</summary>
    public Task<ClusterMetadata> FetchAsync(IReadOnlyCollection<string>? topics, bool allTopics, CancellationToken cancellationToken) =>
        FetchAsync(allTopics ? [] : topics ?? [], cancellationToken, allTopics);

    private async Task<ClusterMetadata> FetchAsync(IReadOnlyCollection<string>? topics, CancellationToken cancellationToken, bool allTopics = false)
    {
        var connection = await AnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        short version = connection.Versions.Highest(ApiKey.Metadata);
        var request = new MetadataRequest { AllowAutoTopicCreation = _allowAutoTopicCreation };
        var names = new List<MetadataRequest.MetadataRequestTopic>();
        if (!allTopics)
            foreach (string name in topics ?? (IEnumerable<string>)_topics.Keys)
                names.Add(new MetadataRequest.MetadataRequestTopic { Name = name });
        // v1+ asks for every topic with a null list; v0 with an empty one.
        request.Topics = allTopics && version >= 1 ? null : names;
        if (!allTopics && names.Count == 0 && version == 0)
            throw new KafkaErrorException(WireErrorCode.UnsupportedVersion, "Metadata v0 cannot ask for no topics");
        MetadataResponse response;
        try
        {
            response = await connection.SendAsync<MetadataRequest, MetadataResponse>(request, version, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerConnectionException)
        {
            RequestRefresh();
            throw;
        }
        int answeredBy = -1;
        foreach (var b in response.Brokers)
            if (new BrokerEndpoint(b.Host, b.Port) == connection.Endpoint) answeredBy = b.NodeId;
        ClusterMetadata updated;
        lock (_refreshLock)
        {
            updated = _current.With(response, answeredBy, _clock.GetUtcNow());
            _current = updated;
        }
        return updated;
    }

    /// <summary>
    /// A connection to some broker: one already open if any, else the brokers metadata named,
    /// else the bootstrap addresses, in order; the last failure if none answers.
    /// </summary>
    public async Task<BrokerConnection> AnyConnectionAsync(CancellationToken cancellationToken)
    {
        var known = _current.Brokers.Values.Concat(_bootstrap).Distinct().ToList();
        foreach (var endpoint in known)
            if (_pool.IsConnected(endpoint)) return await _pool.GetAsync(endpoint, cancellationToken).ConfigureAwait(false);
        Exception? last = null;
        foreach (var endpoint in known)
        {
            try { return await _pool.GetAsync(endpoint, cancellationToken).ConfigureAwait(false); }
            catch (BrokerConnectionException e) { last = e; }
        }
        throw new KafkaErrorException(WireErrorCode.NetworkException, $"no broker reachable (tried {string.Join(", ", known)}): {last?.Message}", last);
    }

    /// <summary>The connection to a node named by metadata.</summary>
    public Task<BrokerConnection> ConnectionToNodeAsync(int nodeId, CancellationToken cancellationToken)
    {
        if (!_current.Brokers.TryGetValue(nodeId, out var endpoint))
            throw new KafkaErrorException(WireErrorCode.BrokerNotAvailable, $"metadata names no broker {nodeId}");
        return _pool.GetAsync(endpoint, cancellationToken);
    }

    /// <summary>Adds a topic to those every refresh asks about.</summary>
    public bool AddTopic(string topic) => _topics.TryAdd(topic, 0);

    /// <summary>
    /// The topic's metadata once it is known with a leader for every partition, refreshing until
    /// <paramref name="timeout"/>. Errors that refreshing cannot cure (an invalid name, no
    /// authorization) fail at once; a topic still unknown at the deadline fails with its last error.
    /// </summary>
    public async Task<TopicMetadata> WaitForTopicAsync(string topic, TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool added = AddTopic(topic);
        if (!added && Usable(_current, topic) is { } known) return known;
        var deadline = _clock.GetUtcNow() + timeout;
        WireErrorCode lastError = WireErrorCode.UnknownTopicOrPartition;
        Exception? lastFailure = null;
        while (true)
        {
            try
            {
                var metadata = await RefreshAsync(cancellationToken).ConfigureAwait(false);
                if (Usable(metadata, topic) is { } usable) return usable;
                if (metadata.Topics.TryGetValue(topic, out var t))
                {
                    lastError = t.Error != WireErrorCode.None ? t.Error : WireErrorCode.LeaderNotAvailable;
                    if (t.Error != WireErrorCode.None && !t.Error.IsRetriable())
                        throw new KafkaErrorException(t.Error, $"topic {topic}: {t.Error.KafkaName()}");
                }
            }
            catch (KafkaErrorException e) when (e.Code.IsRetriable() || e.Code == WireErrorCode.NetworkException)
            {
                lastFailure = e;
            }
            catch (BrokerConnectionException e)
            {
                lastFailure = e;
            }
            var left = deadline - _clock.GetUtcNow();
            if (left <= TimeSpan.Zero)
                throw new KafkaErrorException(lastFailure is null ? lastError : WireErrorCode.NetworkException,
                    $"topic {topic} not available within {timeout.TotalMilliseconds} ms: {lastFailure?.Message ?? lastError.KafkaName()}", lastFailure);
            await Task.Delay(left < _refreshBackoff ? left : _refreshBackoff, _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    private static TopicMetadata? Usable(ClusterMetadata metadata, string topic) =>
        metadata.Topics.TryGetValue(topic, out var t) && t.Error == WireErrorCode.None && t.Partitions.Length > 0 ? t : null;

    private async Task RefreshPeriodicallyAsync()
    {
        await Task.Yield(); // not in the constructor's thread
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (_topics.IsEmpty && _current == ClusterMetadata.Empty)
                {
                    // Nothing known and nothing asked: wait until someone asks.
                    await _refreshRequested.WaitAsync(token).ConfigureAwait(false);
                }
                else
                {
                    var untilStale = _maxAge - (_clock.GetUtcNow() - _current.FetchedAt);
                    if (untilStale > TimeSpan.Zero)
                        await _refreshRequested.WaitAsync(untilStale, token).ConfigureAwait(false);
                }
                await RefreshAsync(token).ConfigureAwait(false);
                await Task.Delay(_refreshBackoff, _clock, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is KafkaErrorException or BrokerConnectionException or NotSupportedException)
            {
                await DelayQuietlyAsync(_refreshBackoff, token).ConfigureAwait(false);
            }
        }
    }

    private async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken token)
    {
        try { await Task.Delay(delay, _clock, token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _periodic.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
