using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>
/// The consumer's background loop. Each round, under the consumer's lock, it starts position lookups for
/// partitions that need one and, for every leader without a fetch outstanding, one Fetch for its partitions that
/// can take more data (Kafka's Java model: one request per broker at a time, bounded by fetch.max.bytes and
/// max.partition.fetch.bytes; a partition is left out while it holds <see cref="PartitionState.MaxBuffered"/>
/// responses). Fetches are plain full fetches (no KIP-227 session: session id 0, epoch -1) at the highest
/// version both sides speak. Answers are applied under the lock: records are queued for the consume thread,
/// leader errors refresh metadata and retry after retry.backoff.ms (re-routing to the new leader), and
/// OFFSET_OUT_OF_RANGE applies auto.offset.reset.
/// </summary>
internal sealed class Fetcher : IAsyncDisposable
{
    private readonly ConsumerCore _core;
    private readonly ConnectionPool _pool;
    private readonly PositionLookups _lookups;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly HashSet<int> _busyNodes = [];
    private readonly Dictionary<int, int> _rotation = [];
    private readonly HashSet<int> _failingNodes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _running;

    public Fetcher(ConsumerCore core, ConnectionPool pool)
    {
        _core = core;
        _pool = pool;
        _lookups = new PositionLookups(core, _stop.Token);
        _loop = Task.Run(RunAsync);
    }

    private ConsumerSettings Settings => _core.Settings;

    public void Wake()
    {
        if (_wake.CurrentCount > 0) return;
        try { _wake.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        var fetches = new Dictionary<int, List<FetchItem>>();
        var lookups = new List<Lookup>();
        while (!token.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                fetches.Clear();
                lookups.Clear();
                wait = Plan(fetches, lookups);
                if (lookups.Count > 0) _lookups.Start([.. lookups]);
                foreach (var (node, items) in fetches)
                {
                    Interlocked.Increment(ref _running);
                    _ = FetchAsync(node, [.. items]);
                }
            }
#pragma warning disable CA1031 // the loop must outlive any one round's failure; the partitions are retried
            catch (Exception e)
#pragma warning restore CA1031
            {
                _core.ReportError(new Error(ErrorCode.Local_Fail, "fetch planning failed: " + e.Message));
                wait = Settings.RetryBackoff;
            }
            try { await _wake.WaitAsync(wait, token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Decides this round's fetches and lookups; returns how long to sleep if nothing wakes the loop.</summary>
    private TimeSpan Plan(Dictionary<int, List<FetchItem>> fetches, List<Lookup> lookups)
    {
        long now = _core.Now;
        long nextDue = long.MaxValue;
        var metadata = _core.Metadata.Current;
        bool refresh = false;
        lock (_core.Gate)
        {
            foreach (var p in _core.Partitions)
            {
                if (p.Removed || p.Paused || p.Halted) continue;
                if (now < p.NotBefore)
                {
                    nextDue = Math.Min(nextDue, p.NotBefore);
                    continue;
                }
                if (p.Lookup != PositionLookup.None)
                {
                    if (p.LookupInFlight) continue;
                    if (p.Lookup == PositionLookup.ResetPolicy && !ApplyResetPolicy(p)) continue;
                    p.LookupInFlight = true;
                    lookups.Add(new Lookup(p, p.Generation, p.Lookup));
                    continue;
                }
                if (!p.IsFetchable(now)) continue;
                if (!metadata.TryGetLeader(p.Topic, p.Partition, out int leader, out _))
                {
                    refresh = true;
                    p.NotBefore = _core.After(Settings.RetryBackoff);
                    nextDue = Math.Min(nextDue, p.NotBefore);
                    ReportIfUnknown(p, metadata);
                    continue;
                }
                if (_busyNodes.Contains(leader)) continue;
                if (!fetches.TryGetValue(leader, out var items)) fetches[leader] = items = [];
                var topic = metadata.Topics[p.Topic];
                items.Add(new FetchItem(p, p.Generation, p.FetchPosition, topic.Partitions[p.Partition].LeaderEpoch, topic.TopicId));
            }
            foreach (var (node, items) in fetches)
            {
                _busyNodes.Add(node);
                foreach (var item in items) item.State.FetchInFlight = true;
                Rotate(node, items);
            }
        }
        if (refresh) _core.Metadata.RequestRefresh();
        if (nextDue == long.MaxValue) return Timeout.InfiniteTimeSpan;
        var wait = _core.Clock.GetElapsedTime(now, nextDue);
        return wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;
    }

    /// <summary>
    /// The first partition of a fetch is the one a broker returns a whole batch for even past the byte limits
    /// (KIP-74); starting each request to a broker one partition further lets an oversized batch anywhere through.
    /// </summary>
    private void Rotate(int node, List<FetchItem> items)
    {
        int start = _rotation.GetValueOrDefault(node) % items.Count;
        _rotation[node] = start + 1;
        if (start == 0) return;
        var rotated = items.Skip(start).Concat(items.Take(start)).ToList();
        items.Clear();
        items.AddRange(rotated);
    }

    /// <summary>auto.offset.reset for a partition with no usable offset; false when it stops the partition (none).</summary>
    private bool ApplyResetPolicy(PartitionState p)
    {
        switch (Settings.AutoOffsetReset)
        {
            case AutoOffsetReset.Earliest:
                p.Lookup = PositionLookup.Earliest;
                return true;
            case AutoOffsetReset.Latest:
                p.Lookup = PositionLookup.Latest;
                return true;
            default:
                p.Halted = true;
                string why = p.LookupReason == ErrorCode.OffsetOutOfRange
                    ? $"fetch offset {p.FetchPosition} is out of range"
                    : "the group has no committed offset";
                _core.QueueConsumeError(p.TopicPartition, p.FetchPosition, p.LookupReason,
                    $"{p.Topic} [{p.Partition}]: {why} and auto.offset.reset is none; seek to continue");
                return false;
        }
    }

    private void ReportIfUnknown(PartitionState p, Metadata.ClusterMetadata metadata)
    {
        if (!metadata.Topics.TryGetValue(p.Topic, out var topic))
            return; // not asked about yet
        if (topic.Error is not (WireErrorCode.None or WireErrorCode.LeaderNotAvailable))
            _core.QueueConsumeErrorOnce(p, topic.Error.ToClientErrorCode(), $"{p.Topic} [{p.Partition}]: topic {topic.Error.KafkaName()}");
        else if (p.Partition >= topic.Partitions.Length)
            _core.QueueConsumeErrorOnce(p, ErrorCode.UnknownTopicOrPartition, $"{p.Topic} has {topic.Partitions.Length} partitions; there is no partition {p.Partition}");
    }

    private async Task FetchAsync(int node, List<FetchItem> items)
    {
        ResponseFrame? frame = null;
        try
        {
            if (!_core.Metadata.Current.Brokers.TryGetValue(node, out var endpoint))
                throw new KafkaErrorException(WireErrorCode.BrokerNotAvailable, $"metadata names no broker {node}");
            var connection = await _pool.GetAsync(endpoint, _stop.Token).ConfigureAwait(false);
            short version = connection.Versions.Highest(ApiKey.Fetch);
            // Topic ids name topics from v13; a broker whose metadata gave none is asked with names.
            if (items.Any(i => i.TopicId == KafkaUuid.Zero)) version = Math.Min(version, (short)12);
            var request = Build(items);
            frame = await connection.SendFrameAsync((short)ApiKey.Fetch, version, request, expectResponse: true, _stop.Token).ConfigureAwait(false);
            var response = frame!.Decode<FetchResponse>((short)ApiKey.Fetch, version);
            var lease = new FrameLease(frame);
            frame = null; // the lease owns it now
            try
            {
                Apply(node, items, response, version, lease);
            }
            finally
            {
                lease.Release();
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or BrokerConnectionException)
        {
            // closing: nothing more to do
        }
#pragma warning disable CA1031 // whatever failed, the partitions must be fetched again rather than left waiting
        catch (Exception e)
#pragma warning restore CA1031
        {
            Failed(node, items, e);
        }
        finally
        {
            frame?.Dispose();
            lock (_core.Gate) _busyNodes.Remove(node);
            Interlocked.Decrement(ref _running);
            Wake();
        }
    }

    private FetchRequest Build(List<FetchItem> items)
    {
        var request = new FetchRequest
        {
            ReplicaId = -1,
            MaxWaitMs = Settings.FetchMaxWaitMs,
            MinBytes = Settings.FetchMinBytes,
            MaxBytes = Settings.FetchMaxBytes,
            IsolationLevel = Settings.IsolationLevel,
            SessionId = 0,
            SessionEpoch = -1,
            RackId = Settings.ClientRack,
        };
        foreach (var item in items)
        {
            FetchRequest.FetchTopic? topic = null;
            foreach (var t in request.Topics)
                if (t.Topic == item.State.Topic) topic = t;
            if (topic is null) request.Topics.Add(topic = new FetchRequest.FetchTopic { Topic = item.State.Topic, TopicId = item.TopicId });
            topic.Partitions.Add(new FetchRequest.FetchPartition
            {
                Partition = item.State.Partition,
                CurrentLeaderEpoch = item.LeaderEpoch,
                FetchOffset = item.Offset,
                LastFetchedEpoch = -1,
                LogStartOffset = -1,
                PartitionMaxBytes = Settings.MaxPartitionFetchBytes,
            });
        }
        return request;
    }

    private void Apply(int node, List<FetchItem> items, FetchResponse response, short version, FrameLease lease)
    {
        var byPartition = new Dictionary<(string, int), FetchItem>(items.Count);
        var names = new Dictionary<KafkaUuid, string>();
        foreach (var item in items)
        {
            byPartition[(item.State.Topic, item.State.Partition)] = item;
            names[item.TopicId] = item.State.Topic;
        }
        bool dataArrived = false, refresh = false;
        var topLevel = (WireErrorCode)response.ErrorCode;
        lock (_core.Gate)
        {
            _failingNodes.Remove(node);
            if (topLevel != WireErrorCode.None)
            {
                foreach (var item in items) Retry(item);
                _core.ReportError(new Error(topLevel.ToClientErrorCode(), $"Fetch from broker {node}: {topLevel.KafkaName()}"));
                return;
            }
            var answered = new HashSet<FetchItem>();
            foreach (var topic in response.Responses)
            {
                string? name = version >= 13 ? names.GetValueOrDefault(topic.TopicId) : topic.Topic;
                if (name is null) continue;
                foreach (var data in topic.Partitions)
                {
                    if (!byPartition.TryGetValue((name, data.PartitionIndex), out var item) || !answered.Add(item)) continue;
                    var p = item.State;
                    if (p.Removed || p.Generation != item.Generation) continue; // moved on meanwhile: stale
                    p.FetchInFlight = false;
                    var error = (WireErrorCode)data.ErrorCode;
                    if (error == WireErrorCode.None) dataArrived |= Accept(item, data, ReferenceEquals(items[0], item), version, lease);
                    else refresh |= Reject(item, error);
                }
            }
            foreach (var item in items)
                if (!answered.Contains(item)) Retry(item); // left out of the answer: ask again
        }
        if (refresh) _core.Metadata.RequestRefresh();
        if (dataArrived || _core.Settings.EnablePartitionEof) _core.WakeConsumer();
    }

    /// <summary>Queues what came for the partition; true when there is something for the consume thread.</summary>
    private bool Accept(FetchItem item, FetchResponse.PartitionData data, bool firstInRequest, short version, FrameLease lease)
    {
        var p = item.State;
        // With read_committed the end a consumer can reach is the last stable offset.
        p.HighWatermark = Settings.IsolationLevel == 1 && data.LastStableOffset >= 0 ? data.LastStableOffset : data.HighWatermark;
        if (data.LogStartOffset >= 0) p.LogStartOffset = data.LogStartOffset;
        p.ReportedError = ErrorCode.NoError;
        var records = data.Records ?? ReadOnlyMemory<byte>.Empty;
        if (records.IsEmpty) return false;
        long next = NextFetchOffset(records.Span, item.Offset);
        if (next > item.Offset)
        {
            AbortedTransactions? aborted = Settings.IsolationLevel == 1 && data.AbortedTransactions is { Count: > 0 } list
                ? new AbortedTransactions(list.Select(a => (a.ProducerId, a.FirstOffset)))
                : null;
            lease.Retain();
            p.Buffered.Enqueue(new FetchedRecords(lease, records, aborted));
            p.FetchPosition = next;
            return true;
        }
        // Only part of a batch came. The first partition of a request gets a whole batch whatever its size (v3+),
        // so there the batch is larger than the broker will send at all; elsewhere rotation makes it first soon.
        if (firstInRequest && version >= 3)
            _core.QueueConsumeErrorOnce(p, ErrorCode.MessageTooLarge,
                $"{p.Topic} [{p.Partition}]: the batch at offset {item.Offset} did not come whole in a fetch of up to {Settings.FetchMaxBytes} bytes");
        p.NotBefore = _core.After(Settings.RetryBackoff);
        return false;
    }

    /// <summary>The offset after the last whole batch in the records (the fetch offset if there is none).</summary>
    private static long NextFetchOffset(ReadOnlySpan<byte> records, long fetchOffset)
    {
        long next = fetchOffset;
        int position = 0;
        while (position < records.Length)
        {
            var rest = records[position..];
            if (!Gregor.Protocol.Records.RecordBatchFraming.TryFrame(rest, int.MaxValue, out int size, out byte magic).IsValid) break;
            // A v2 batch names its last offset; an old message set's offset field is its last message's.
            long last = magic == Gregor.Protocol.Records.RecordBatchHeader.CurrentMagic
                ? Gregor.Protocol.Records.RecordBatchHeader.LastOffset(rest)
                : Gregor.Protocol.Records.RecordBatchHeader.BaseOffset(rest);
            next = Math.Max(next, last + 1);
            position += size;
        }
        return next;
    }

    /// <summary>Handles a partition error; true when metadata should be refreshed.</summary>
    private bool Reject(FetchItem item, WireErrorCode error)
    {
        var p = item.State;
        switch (error)
        {
            case WireErrorCode.OffsetOutOfRange:
                p.StartWith(PositionLookup.ResetPolicy, ErrorCode.OffsetOutOfRange);
                p.FetchPosition = item.Offset; // kept for the error message if the policy is none
                return false;
            case WireErrorCode.NotLeaderOrFollower or WireErrorCode.FencedLeaderEpoch or WireErrorCode.UnknownLeaderEpoch
                or WireErrorCode.LeaderNotAvailable or WireErrorCode.UnknownTopicOrPartition or WireErrorCode.UnknownTopicId
                or WireErrorCode.InconsistentTopicId or WireErrorCode.KafkaStorageError or WireErrorCode.ReplicaNotAvailable
                or WireErrorCode.OffsetNotAvailable:
                // The leader moved or is not ready: look it up again and fetch from wherever it is now.
                p.NotBefore = _core.After(Settings.RetryBackoff);
                return true;
            default:
                p.NotBefore = _core.After(Settings.RetryBackoff);
                if (!error.IsRetriable())
                    _core.QueueConsumeErrorOnce(p, error.ToClientErrorCode(), $"{p.Topic} [{p.Partition}]: fetch failed with {error.KafkaName()}");
                return false;
        }
    }

    private void Retry(FetchItem item)
    {
        var p = item.State;
        if (p.Removed || p.Generation != item.Generation) return;
        p.FetchInFlight = false;
        p.NotBefore = _core.After(Settings.RetryBackoff);
    }

    /// <summary>No answer (connection lost, broker gone): the partitions are fetched again from the same offsets.</summary>
    private void Failed(int node, List<FetchItem> items, Exception e)
    {
        bool firstFailure;
        lock (_core.Gate)
        {
            foreach (var item in items) Retry(item);
            firstFailure = _failingNodes.Add(node);
        }
        _core.Metadata.RequestRefresh();
        if (firstFailure)
            _core.ReportError(new Error(e is BrokerConnectionException ? ErrorCode.Local_Transport : ErrorCode.Local_Fail, $"fetch from broker {node} failed: {e.Message}"));
    }

    /// <summary>Stops the loop and waits (briefly) for fetches and lookups under way to notice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while ((Volatile.Read(ref _running) > 0 || _lookups.Running > 0) && DateTime.UtcNow < deadline)
            await Task.Delay(1).ConfigureAwait(false);
    }

    /// <summary>One partition in a fetch: the state and generation it was planned under, the offset asked for.</summary>
    private sealed record FetchItem(PartitionState State, int Generation, long Offset, int LeaderEpoch, KafkaUuid TopicId);

    /// <summary>A position lookup planned under a generation.</summary>
    internal readonly record struct Lookup(PartitionState State, int Generation, PositionLookup Kind);
}
