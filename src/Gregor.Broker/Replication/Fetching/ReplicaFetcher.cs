using System.Buffers.Binary;
using Gregor.Broker.Configuration;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Gregor.Storage;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Replication.Fetching;

/// <summary>
/// Copies the partitions one leader broker leads and this broker follows (those of them <c>num.replica.fetchers</c> hashes
/// to this fetcher), as Kafka's replica fetcher thread: on its own connection to the leader's inter-broker listener it
/// first truncates partitions that just became followers (OffsetForLeaderEpoch, KIP-101/279), then sends one Fetch at
/// a time for the rest (replica id = this node), appends what comes back as it came (<see cref="PartitionLog.AppendReplicated"/>),
/// and takes the leader's high watermark and log start offset. A diverging epoch in an answer truncates too; an offset
/// out of the leader's range truncates to what the leader has; leadership errors pause the partition until metadata
/// moves it. One loop task; nothing else touches the partitions it holds but <see cref="Add"/> and <see cref="Remove"/>.
/// </summary>
internal sealed class ReplicaFetcher : IAsyncDisposable
{
    private const short HighestFetchVersion = 17;
    private const short FirstTopicIdFetchVersion = 13;
    private const short FirstReplicaStateFetchVersion = 15;
    private const short FirstReplicaIdOffsetForLeaderEpochVersion = 3;
    // Batch framing: base offset (8) and length (4) precede every batch's remaining bytes.
    private const int BatchOverhead = 12;

    private readonly ReplicaManager _replicas;
    private readonly ReplicationSettings _settings;
    private readonly Func<long> _brokerEpoch;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConnectionPool _pool;
    private readonly Dictionary<TopicPartition, FollowedPartition> _partitions = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private long _lastFailureLogMs = long.MinValue;

    public ReplicaFetcher(int sourceBroker, int index, ReplicaManager replicas, ReplicationSettings settings, Func<long> brokerEpoch, ILogger logger)
    {
        SourceBroker = sourceBroker;
        Index = index;
        _replicas = replicas;
        _settings = settings;
        _brokerEpoch = brokerEpoch;
        _logger = logger;
        _time = replicas.Time;
        _pool = new ConnectionPool(new ConnectionSettings
        {
            ClientId = $"broker-{replicas.NodeId}-fetcher-{index}",
            SoftwareName = "gregor-broker",
            Clock = _time,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ReconnectBackoff = TimeSpan.FromMilliseconds(Math.Max(1, settings.FetchBackoffMs)),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(Math.Max(1, settings.FetchBackoffMs)),
        });
    }

    /// <summary>The leader broker this fetcher copies from.</summary>
    public int SourceBroker { get; }

    public int Index { get; }

    public int Count
    {
        get
        {
            lock (_partitions)
                return _partitions.Count;
        }
    }

    /// <summary>Kafka's replica.socket.timeout.ms default: how long a request may go unanswered, beyond the fetch's own wait.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Follows <paramref name="partition"/> from this fetcher's leader at <paramref name="leaderEpoch"/>: truncation first.</summary>
    public void Add(HostedPartition partition, int leaderEpoch)
    {
        lock (_partitions)
            _partitions[partition.Id] = new FollowedPartition(partition, leaderEpoch);
        Signal();
    }

    public void Remove(TopicPartition id)
    {
        lock (_partitions)
            _partitions.Remove(id);
        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_partitions)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Task changed;
            var truncating = new List<FollowedPartition>();
            var fetching = new List<FollowedPartition>();
            long now = NowMs, wakeAt = long.MaxValue;
            lock (_partitions)
            {
                changed = _changed.Task;
                foreach (FollowedPartition followed in _partitions.Values)
                {
                    if (followed.DelayedUntilMs > now)
                        wakeAt = Math.Min(wakeAt, followed.DelayedUntilMs);
                    else
                        (followed.Truncating ? truncating : fetching).Add(followed);
                }
            }
            try
            {
                if (truncating.Count == 0 && fetching.Count == 0)
                {
                    TimeSpan wait = wakeAt == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(wakeAt - now);
                    await changed.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }
                if (LeaderEndpoints.Find(_replicas.Metadata.Current, SourceBroker, _settings.InterBrokerListenerName) is not { } endpoint)
                {
                    LogFailure("Broker {Leader} has no {Listener} listener registered; fetching waits for metadata", SourceBroker, _settings.InterBrokerListenerName ?? "(first)");
                    Delay(truncating, fetching);
                    continue;
                }
                BrokerConnection connection = await _pool.GetAsync(endpoint, cancellationToken).ConfigureAwait(false);
                if (truncating.Count > 0)
                    await TruncateAsync(connection, truncating, cancellationToken).ConfigureAwait(false);
                if (fetching.Count > 0)
                    await FetchAsync(connection, fetching, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is IOException or TimeoutException or BrokerApiUnsupportedException or MalformedMessageException or ObjectDisposedException)
            {
                LogFailure("Fetching from broker {Leader} failed ({Error}); retrying in {Backoff} ms", SourceBroker, error.Message, _settings.FetchBackoffMs);
                Delay(truncating, fetching);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                _logger.LogError(error, "Replica fetcher {Index} for broker {Leader} failed; retrying in {Backoff} ms", Index, SourceBroker, _settings.FetchBackoffMs);
                Delay(truncating, fetching);
            }
        }
    }

    private void Delay(List<FollowedPartition> truncating, List<FollowedPartition> fetching)
    {
        long until = NowMs + _settings.FetchBackoffMs;
        foreach (FollowedPartition followed in truncating)
            followed.DelayedUntilMs = until;
        foreach (FollowedPartition followed in fetching)
            followed.DelayedUntilMs = until;
    }

    private void Delay(FollowedPartition followed) => followed.DelayedUntilMs = NowMs + _settings.FetchBackoffMs;

    /// <summary>Whether <paramref name="followed"/> is still what this fetcher holds for its partition (not removed or replaced meanwhile).</summary>
    private bool IsCurrent(FollowedPartition followed)
    {
        lock (_partitions)
            return _partitions.TryGetValue(followed.Partition.Id, out FollowedPartition? now) && ReferenceEquals(now, followed);
    }

    // ---- truncation on becoming a follower ----

    private async Task TruncateAsync(BrokerConnection connection, List<FollowedPartition> truncating, CancellationToken cancellationToken)
    {
        bool canAsk = connection.Versions.TryGetHighest(ApiKey.OffsetForLeaderEpoch, out short version) && version >= FirstReplicaIdOffsetForLeaderEpochVersion;
        var asking = new List<(FollowedPartition Followed, int Epoch)>();
        foreach (FollowedPartition followed in truncating)
        {
            PartitionLog log = followed.Partition.Log;
            int latest = log.LatestEpoch;
            if (latest < 0)
            {
                // No epochs recorded: all this log can be sure of is its high watermark (Kafka does the same).
                followed.Partition.TruncateAsFollower(log.HighWatermark, followed.LeaderEpoch);
                followed.Truncating = false;
            }
            else if (!canAsk)
            {
                // A leader without OffsetForLeaderEpoch: the diverging epoch of its Fetch answers truncates instead.
                followed.Truncating = false;
            }
            else
            {
                asking.Add((followed, latest));
            }
        }
        if (asking.Count == 0)
            return;
        var request = new OffsetForLeaderEpochRequest { ReplicaId = _replicas.NodeId };
        foreach (var group in asking.GroupBy(a => a.Followed.Partition.Id.Topic))
        {
            request.Topics.Add(new OffsetForLeaderEpochRequest.OffsetForLeaderTopic
            {
                Topic = group.Key,
                Partitions = [.. group.Select(a => new OffsetForLeaderEpochRequest.OffsetForLeaderPartition
                {
                    Partition = a.Followed.Partition.Id.Partition,
                    CurrentLeaderEpoch = a.Followed.LeaderEpoch,
                    LeaderEpoch = a.Epoch,
                })],
            });
        }
        OffsetForLeaderEpochResponse response = await connection.SendAsync<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(
            request, connection.Versions.Highest(ApiKey.OffsetForLeaderEpoch, 4), RequestTimeout, cancellationToken).ConfigureAwait(false);
        var asked = asking.ToDictionary(a => a.Followed.Partition.Id, a => a.Followed);
        foreach (OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult topic in response.Topics)
        {
            foreach (OffsetForLeaderEpochResponse.EpochEndOffset answer in topic.Partitions)
            {
                if (!asked.Remove(new TopicPartition(topic.Topic, answer.Partition), out FollowedPartition? followed) || !IsCurrent(followed))
                    continue;
                var error = (ErrorCode)answer.ErrorCode;
                if (error != ErrorCode.None)
                {
                    OnPartitionError(followed, error);
                    continue;
                }
                Truncate(followed, answer.LeaderEpoch, answer.EndOffset, "the leader's end of epoch");
            }
        }
        // A partition the answer left out is asked again after the back-off.
        foreach (FollowedPartition missing in asked.Values)
            Delay(missing);
    }

    /// <summary>Applies the truncation rule to a leader's (epoch, end offset); done unless the follower must ask again.</summary>
    private void Truncate(FollowedPartition followed, int leaderEpoch, long leaderEndOffset, string why)
    {
        HostedPartition partition = followed.Partition;
        PartitionLog log = partition.Log;
        long before = log.LogEndOffset;
        if (ApplyTruncation(partition, followed.LeaderEpoch, leaderEpoch, leaderEndOffset) is not { } decision)
            return;
        if (log.LogEndOffset < before)
        {
            _logger.LogInformation("Truncated {Partition} from {Before} to {After} ({Why}: epoch {Epoch} ends at {End})",
                partition.Id, before, log.LogEndOffset, why, leaderEpoch, leaderEndOffset);
        }
        followed.Truncating = !decision.Completed;
    }

    /// <summary>
    /// Applies the truncation rule to the leader's (<paramref name="leaderEpoch"/>, <paramref name="leaderEndOffset"/>) for a
    /// partition followed at <paramref name="followedEpoch"/>; null when it is no longer followed at that epoch. The log is
    /// cut even when the cut is at its end, as Kafka does: that drops an epoch this broker began as leader and appended
    /// nothing under, which the leader does not know. Left in the epoch cache it would be every fetch's last fetched
    /// epoch, each answered with the same diverging epoch, and the follower would never fetch again.
    /// </summary>
    internal static TruncationDecision? ApplyTruncation(HostedPartition partition, int followedEpoch, int leaderEpoch, long leaderEndOffset)
    {
        PartitionLog log = partition.Log;
        TruncationDecision decision = FollowerTruncation.Decide(leaderEpoch, leaderEndOffset, log.LogEndOffset, log.HighWatermark, epoch =>
        {
            EpochEndOffset own = log.EndOffsetForEpoch(epoch);
            return (own.Epoch, own.EndOffset);
        });
        if (!partition.TruncateAsFollower(Math.Min(decision.Offset, log.LogEndOffset), followedEpoch))
            return null;
        return decision;
    }

    // ---- fetching ----

    private async Task FetchAsync(BrokerConnection connection, List<FollowedPartition> fetching, CancellationToken cancellationToken)
    {
        short version = connection.Versions.Highest(ApiKey.Fetch, HighestFetchVersion);
        bool byId = version >= FirstTopicIdFetchVersion;
        var sent = new Dictionary<TopicPartition, (FollowedPartition Followed, long FetchOffset)>(fetching.Count);
        var topicNames = new Dictionary<KafkaUuid, string>();
        var request = new FetchRequest
        {
            ReplicaId = version < FirstReplicaStateFetchVersion ? _replicas.NodeId : -1,
            ReplicaState = version >= FirstReplicaStateFetchVersion
                ? new FetchRequest.ReplicaStateData { ReplicaId = _replicas.NodeId, ReplicaEpoch = _brokerEpoch() }
                : null,
            MaxWaitMs = _settings.FetchWaitMaxMs,
            MinBytes = _settings.FetchMinBytes,
            MaxBytes = _settings.FetchResponseMaxBytes,
            IsolationLevel = 0,
            SessionId = 0,
            SessionEpoch = -1,
        };
        foreach (var group in fetching.GroupBy(f => f.Partition.Id.Topic))
        {
            KafkaUuid topicId = group.First().Partition.TopicId;
            if (byId && topicId.IsZero)
                continue;
            var topic = new FetchRequest.FetchTopic { Topic = group.Key, TopicId = topicId };
            topicNames[topicId] = group.Key;
            foreach (FollowedPartition followed in group)
            {
                PartitionLog log = followed.Partition.Log;
                long fetchOffset = log.LogEndOffset;
                sent[followed.Partition.Id] = (followed, fetchOffset);
                topic.Partitions.Add(new FetchRequest.FetchPartition
                {
                    Partition = followed.Partition.Id.Partition,
                    CurrentLeaderEpoch = followed.LeaderEpoch,
                    FetchOffset = fetchOffset,
                    LastFetchedEpoch = log.LatestEpoch,
                    LogStartOffset = log.LogStartOffset,
                    PartitionMaxBytes = _settings.FetchMaxBytes,
                });
            }
            request.Topics.Add(topic);
        }
        if (sent.Count == 0)
        {
            Delay([], fetching);
            return;
        }
        TimeSpan timeout = RequestTimeout + TimeSpan.FromMilliseconds(_settings.FetchWaitMaxMs);
        using ResponseFrame? frame = await connection.SendFrameAsync((short)ApiKey.Fetch, version, request, expectResponse: true, timeout, cancellationToken).ConfigureAwait(false);
        // The answer's records are slices of the frame: appended from it directly, before it goes back to the pool.
        FetchResponse response = frame!.Decode<FetchResponse>((short)ApiKey.Fetch, version);
        if (response.ErrorCode != 0)
        {
            LogFailure("Broker {Leader} refused a fetch: {Error}", SourceBroker, (ErrorCode)response.ErrorCode, "");
            Delay([], fetching);
            return;
        }
        foreach (FetchResponse.FetchableTopicResponse topic in response.Responses)
        {
            string? name = byId ? topicNames.GetValueOrDefault(topic.TopicId) : topic.Topic;
            if (name is null)
                continue;
            foreach (FetchResponse.PartitionData data in topic.Partitions)
            {
                if (!sent.Remove(new TopicPartition(name, data.PartitionIndex), out var entry) || !IsCurrent(entry.Followed))
                    continue;
                await ProcessAsync(connection, entry.Followed, entry.FetchOffset, data, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ProcessAsync(BrokerConnection connection, FollowedPartition followed, long fetchOffset, FetchResponse.PartitionData data, CancellationToken cancellationToken)
    {
        HostedPartition partition = followed.Partition;
        var error = (ErrorCode)data.ErrorCode;
        if (error == ErrorCode.OffsetOutOfRange)
        {
            await HandleOutOfRangeAsync(connection, followed, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (error != ErrorCode.None)
        {
            OnPartitionError(followed, error);
            return;
        }
        if (data.DivergingEpoch is { } diverging && (diverging.Epoch >= 0 || diverging.EndOffset >= 0))
        {
            Truncate(followed, diverging.Epoch, diverging.EndOffset, "diverging epoch in a fetch answer");
            return;
        }
        // Truncated or appended to since the request was sent (it cannot be, but the answer would not fit then).
        if (partition.Log.LogEndOffset != fetchOffset)
            return;
        ReadOnlySpan<byte> records = WholeBatches(data.Records is { } memory ? memory.Span : default);
        if (!records.IsEmpty)
        {
            try
            {
                if (partition.AppendAsFollower(records, followed.LeaderEpoch) is null)
                    return;
            }
            catch (Exception append) when (append is StorageException or IOException)
            {
                _logger.LogError("Appending fetched records to {Partition} at {Offset} failed ({Error}); retrying in {Backoff} ms",
                    partition.Id, fetchOffset, append.Message, _settings.FetchBackoffMs);
                Delay(followed);
                return;
            }
        }
        partition.UpdateFollowerOffsets(data.HighWatermark, data.LogStartOffset, followed.LeaderEpoch);
    }

    /// <summary>The whole batches at the start of <paramref name="records"/> (a leader may end a response inside one).</summary>
    internal static ReadOnlySpan<byte> WholeBatches(ReadOnlySpan<byte> records)
    {
        int end = 0;
        while (records.Length - end >= BatchOverhead)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(records[(end + RecordBatchHeader.BatchLengthOffset)..]);
            if (length <= 0 || length > records.Length - end - BatchOverhead)
                break;
            end += BatchOverhead + length;
        }
        return records[..end];
    }

    /// <summary>
    /// The leader's log no longer (or does not yet) hold the fetch offset. A leader ending before this log means this
    /// log has what was never committed: cut to the leader's end. A leader starting after it (retention moved on):
    /// start over at the leader's log start.
    /// </summary>
    private async Task HandleOutOfRangeAsync(BrokerConnection connection, FollowedPartition followed, CancellationToken cancellationToken)
    {
        HostedPartition partition = followed.Partition;
        long ownEnd = partition.Log.LogEndOffset;
        long? leaderEnd = await ListOffsetAsync(connection, followed, PartitionLog.LatestTimestamp, cancellationToken).ConfigureAwait(false);
        if (leaderEnd is not long end)
            return;
        if (end < ownEnd)
        {
            if (partition.TruncateAsFollower(end, followed.LeaderEpoch))
                _logger.LogWarning("Truncated {Partition} from {Before} to the leader's end {After} (fetch offset out of range)", partition.Id, ownEnd, end);
            return;
        }
        long? leaderStart = await ListOffsetAsync(connection, followed, PartitionLog.EarliestTimestamp, cancellationToken).ConfigureAwait(false);
        if (leaderStart is long start && start > ownEnd)
        {
            if (partition.TruncateFullyAsFollower(start, followed.LeaderEpoch))
                _logger.LogWarning("Restarted {Partition} at the leader's log start {Start}: its end {End} fell out of the leader's log", partition.Id, start, ownEnd);
            return;
        }
        Delay(followed);
    }

    private async Task<long?> ListOffsetAsync(BrokerConnection connection, FollowedPartition followed, long timestamp, CancellationToken cancellationToken)
    {
        var request = new ListOffsetsRequest
        {
            ReplicaId = _replicas.NodeId,
            Topics =
            [
                new ListOffsetsRequest.ListOffsetsTopic
                {
                    Name = followed.Partition.Id.Topic,
                    Partitions = [new ListOffsetsRequest.ListOffsetsPartition
                    {
                        PartitionIndex = followed.Partition.Id.Partition,
                        CurrentLeaderEpoch = followed.LeaderEpoch,
                        Timestamp = timestamp,
                    }],
                },
            ],
        };
        short version = connection.Versions.Highest(ApiKey.ListOffsets, 7);
        ListOffsetsResponse response = await connection.SendAsync<ListOffsetsRequest, ListOffsetsResponse>(request, version, RequestTimeout, cancellationToken).ConfigureAwait(false);
        var answer = response.Topics.SelectMany(t => t.Partitions).FirstOrDefault();
        if (answer is null || answer.ErrorCode != 0 || version < 1)
        {
            OnPartitionError(followed, answer is null ? ErrorCode.UnknownServerError : (ErrorCode)answer.ErrorCode);
            return null;
        }
        return answer.Offset;
    }

    /// <summary>
    /// Leadership errors (the leader moved, or its epoch and ours differ) pause the partition until the back-off ends,
    /// by when metadata has usually moved it to another fetcher or epoch; anything else is logged and retried likewise.
    /// </summary>
    private void OnPartitionError(FollowedPartition followed, ErrorCode error)
    {
        if (error is not (ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch
            or ErrorCode.UnknownTopicOrPartition or ErrorCode.UnknownTopicId))
        {
            LogFailure("Broker {Leader} answered {Error} for {Partition}", SourceBroker, error, followed.Partition.Id);
        }
        Delay(followed);
    }

    /// <summary>Failures repeat every back-off while a leader is down: one line every few seconds says so.</summary>
    private void LogFailure(string message, object? first, object? second, object? third = null)
    {
        long now = NowMs;
        if (now - _lastFailureLogMs < 5000)
            return;
        _lastFailureLogMs = now;
#pragma warning disable CA2254 // the templates are this class's constant strings
        _logger.LogWarning(message, first, second, third);
#pragma warning restore CA2254
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _pool.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
