using Gregor.Broker.Configuration;
using Gregor.Metadata;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Replication.Fetching;

/// <summary>
/// Keeps a replica fetcher on every partition this broker follows, as Kafka's replica fetcher manager: when an image
/// makes this broker a follower (a replica; another broker leads), the partition goes to one of the
/// <c>num.replica.fetchers</c> fetchers of its leader (chosen by hash), truncating first; a new leader or leader epoch
/// moves it (truncating again); becoming leader or losing the replica takes it away. Fetchers left with no partition
/// stop. Runs in a broker of a cluster; a single node has no followers.
/// </summary>
public sealed class ReplicaFetcherManager : IHostedService, IAsyncDisposable
{
    private readonly ReplicaManager _replicas;
    private readonly ReplicationSettings _settings;
    private readonly Func<long> _brokerEpoch;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly Dictionary<(int Leader, int Index), ReplicaFetcher> _fetchers = [];
    private readonly Dictionary<TopicPartition, (ReplicaFetcher Fetcher, int LeaderEpoch)> _assigned = [];
    private bool _stopped;

    public ReplicaFetcherManager(ReplicaManager replicas, BrokerConfig config, ILoggerFactory loggers, Func<long>? brokerEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(loggers);
        _replicas = replicas;
        _settings = config.Replication;
        _brokerEpoch = brokerEpoch ?? (() => -1);
        _loggers = loggers;
        _logger = loggers.CreateLogger<ReplicaFetcherManager>();
    }

    /// <summary>The partitions being fetched, with the leader and epoch each is fetched from (for tests and tools).</summary>
    public IReadOnlyDictionary<TopicPartition, (int Leader, int LeaderEpoch)> Assignments
    {
        get
        {
            lock (_lock)
                return _assigned.ToDictionary(a => a.Key, a => (a.Value.Fetcher.SourceBroker, a.Value.LeaderEpoch));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
            _stopped = false;
        _replicas.PartitionChanged += OnPartitionChanged;
        // Partitions the replica manager applied an image to before this subscribed.
        foreach (HostedPartition partition in _replicas.Partitions)
            OnPartitionChanged(partition);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _replicas.PartitionChanged -= OnPartitionChanged;
        List<ReplicaFetcher> fetchers;
        lock (_lock)
        {
            _stopped = true;
            fetchers = [.. _fetchers.Values];
            _fetchers.Clear();
            _assigned.Clear();
        }
        foreach (ReplicaFetcher fetcher in fetchers)
            await fetcher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The fetcher index of a partition among its leader's fetchers: a stable hash of topic and partition.</summary>
    internal static int FetcherIndex(TopicPartition id, int fetchers)
    {
        // FNV-1a over the name, then the partition: the same on every run (string.GetHashCode is not).
        uint hash = 2166136261;
        foreach (char c in id.Topic)
            hash = (hash ^ c) * 16777619;
        hash = (hash ^ (uint)id.Partition) * 16777619;
        return (int)(hash % (uint)fetchers);
    }

    private void OnPartitionChanged(HostedPartition partition)
    {
        ReplicaFetcher? idle = null;
        lock (_lock)
        {
            if (_stopped)
                return;
            PartitionImage? state = partition.State;
            bool follows = !partition.IsRemoved && state is not null && state.Leader >= 0 && state.Leader != _replicas.NodeId
                && state.Replicas.Contains(_replicas.NodeId);
            ReplicaFetcher? previous = null;
            if (_assigned.Remove(partition.Id, out var current))
            {
                if (follows && current.Fetcher.SourceBroker == state!.Leader && current.LeaderEpoch == state.LeaderEpoch)
                {
                    _assigned[partition.Id] = current;
                    return;
                }
                current.Fetcher.Remove(partition.Id);
                previous = current.Fetcher;
            }
            if (follows)
            {
                var key = (state!.Leader, FetcherIndex(partition.Id, _settings.NumReplicaFetchers));
                if (!_fetchers.TryGetValue(key, out ReplicaFetcher? fetcher))
                {
                    fetcher = new ReplicaFetcher(key.Leader, key.Item2, _replicas, _settings, _brokerEpoch, _loggers.CreateLogger<ReplicaFetcher>());
                    _fetchers[key] = fetcher;
                    fetcher.Start();
                }
                fetcher.Add(partition, state.LeaderEpoch);
                _assigned[partition.Id] = (fetcher, state.LeaderEpoch);
                _logger.LogInformation("Following {Partition} from broker {Leader} at leader epoch {Epoch}", partition.Id, state.Leader, state.LeaderEpoch);
            }
            else if (previous is not null)
            {
                _logger.LogInformation("No longer following {Partition}", partition.Id);
            }
            if (previous is not null && previous.Count == 0)
            {
                _fetchers.Remove((previous.SourceBroker, previous.Index));
                idle = previous;
            }
        }
        // Outside the lock: stopping waits for the fetcher's request in flight.
        if (idle is not null)
            _ = idle.DisposeAsync().AsTask();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
