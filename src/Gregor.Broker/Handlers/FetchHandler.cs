using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Storage;
using Microsoft.Extensions.Logging;
using static Gregor.Protocol.Messages.FetchResponse;
using PartitionKey = (string? Name, Gregor.Protocol.Primitives.KafkaUuid Id, int Partition);

namespace Gregor.Broker.Handlers;

/// <summary>
/// Fetch, every version of the schema (v13+ name topics by id). Takes whole batches from each partition up to
/// its partition_max_bytes and what is left of max_bytes — itself capped at the broker's fetch.max.bytes, whatever
/// the client asks — the first non-empty partition getting at least one whole batch even past both limits (Kafka's
/// rule from v3; v0-v2 limits are hard). Consumers read below the high watermark (read_committed: below the last
/// stable offset, the same without transactions). When less than min_bytes is there, the request waits for a high
/// watermark to move or max_wait_ms to pass, awaiting a completion rather than holding a thread.
/// The records are not read here: each partition's batches are located in their segment file (a leased region), and
/// the response writer copies them to the socket a chunk at a time as the client takes them, so a response costs
/// memory for its partition headers only, however many bytes it carries. Fetch sessions are not kept: every response
/// is sessionless (session id 0), which clients treat as "send full fetches" — legal, and what librdkafka and kafkajs
/// ask for anyway.
/// </summary>
/// <remarks>
/// On a node that is broker and controller of a quorum of several voters, the other voters' fetches of the metadata log
/// (<c>__cluster_metadata</c>) arrive here too and go to the node's Raft member (<paramref name="quorum"/>).
/// </remarks>
public sealed class FetchHandler(ReplicaManager replicas, BrokerConfig config, ILogger<FetchHandler> logger, Gregor.Raft.IRaftEndpoint? quorum = null)
    : ApiHandler<FetchRequest, FetchResponse>
{
    private const short FirstSoftLimitVersion = 3;
    private const short FirstSessionVersion = 7;
    private const short FirstLeaderEpochVersion = 9;
    private const short FirstTopicIdVersion = 13;
    private const sbyte ReadCommitted = 1;

    public override ApiKey Api => ApiKey.Fetch;

    protected override async ValueTask<FetchResponse?> HandleAsync(RequestContext context, FetchRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        if (quorum is not null && Gregor.Raft.RaftWire.IsMetadataFetch(request, version))
            return await Quorum.MetadataLogFetchHandler.AnswerAsync(quorum, context, request, cancellationToken).ConfigureAwait(false);
        var response = new FetchResponse();
        if (version >= FirstSessionVersion)
        {
            ErrorCode sessionError = request.SessionId != 0 ? ErrorCode.FetchSessionIdNotFound
                : request.SessionEpoch is not (0 or -1) ? ErrorCode.InvalidFetchSessionEpoch
                : ErrorCode.None;
            if (sessionError != ErrorCode.None)
            {
                response.ErrorCode = (short)sessionError;
                return response;
            }
        }
        int replicaId = version >= 15 ? request.ReplicaState?.ReplicaId ?? -1 : request.ReplicaId;
        var plan = FetchPlan.Resolve(request, response, version, replicas, replicaId);
        context.ReleaseAfterResponse(plan);

        // v0-v2 name no response limit: Kafka caps them at fetch.max.bytes too. Waiting for more than the cap could never end early.
        int maxBytes = Math.Min(version >= FirstSoftLimitVersion ? request.MaxBytes : int.MaxValue, config.FetchMaxBytes);
        int minBytes = Math.Clamp(request.MinBytes, 0, Math.Max(0, maxBytes));
        long deadline = replicas.NowMs + Math.Max(0, request.MaxWaitMs);
        var read = new ReadSettings(
            MaxBytes: maxBytes,
            MinOneBatch: version >= FirstSoftLimitVersion,
            ReadCommitted: version >= 4 && request.IsolationLevel == ReadCommitted,
            ReplicaId: replicaId,
            Now: replicas.Time,
            DivergenceChecks: version >= FetchDivergence.FirstVersion,
            SessionLease: replicas.SessionLease);
        while (true)
        {
            FetchPass pass = plan.Read(read);
            if (pass.Bytes >= minBytes || pass.Done || plan.Count == 0)
                break;
            long remaining = deadline - replicas.NowMs;
            if (remaining <= 0)
                break;
            plan.ReleaseReads();
            await plan.WaitForDataAsync(TimeSpan.FromMilliseconds(remaining), replicas.Time, replicaId >= 0, cancellationToken).ConfigureAwait(false);
            if (replicas.NowMs >= deadline)
            {
                plan.Read(read);
                break;
            }
        }
        context.DeferredResponseBytes = plan.RecordBytes;
        if (plan.ErrorCount > 0 && logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("Fetch v{Version} from {Peer} ({Client}): {Errors} partitions answered with errors", version, context.Peer, context.ClientId, plan.ErrorCount);
        return response;
    }

    /// <summary>How a pass reads; <see cref="ReplicaId"/> ≥ 0 is a follower's fetch (<see cref="FollowerFetch"/>).</summary>
    private readonly record struct ReadSettings(int MaxBytes, bool MinOneBatch, bool ReadCommitted, int ReplicaId, TimeProvider Now, bool DivergenceChecks,
        BrokerSessionLease SessionLease);

    /// <summary>What a read pass found: bytes read, and whether the response must go now (an error, a partition gone).</summary>
    private readonly record struct FetchPass(int Bytes, bool Done);

    /// <summary>
    /// The request resolved against the image once (topic ids and names to hosted partitions, response entries
    /// created), then read as often as the long poll needs. Owns the leased regions the response's records are.
    /// </summary>
    private sealed class FetchPlan : IDisposable
    {
        private readonly Entry[] _entries;
        private readonly FileRegionRecords?[] _records;

        private FetchPlan(Entry[] entries)
        {
            _entries = entries;
            _records = new FileRegionRecords?[entries.Length];
        }

        public int Count => _entries.Length;

        /// <summary>Record bytes of the last pass: what the response writer copies from the files.</summary>
        public long RecordBytes { get; private set; }

        public int ErrorCount { get; private set; }

        public static FetchPlan Resolve(FetchRequest request, FetchResponse response, short version, ReplicaManager replicas, int replicaId)
        {
            bool fromReplica = replicaId >= 0;
            MetadataImage image = replicas.Metadata.Current;
            int total = 0;
            foreach (FetchRequest.FetchTopic topic in request.Topics)
                total += topic.Partitions.Count;
            var entries = new Entry[total];
            var seen = new SeenPartitions(total);
            int next = 0;
            foreach (FetchRequest.FetchTopic topic in request.Topics)
            {
                string? name = version >= FirstTopicIdVersion ? image.Topic(topic.TopicId)?.Name : topic.Topic;
                var topicResponse = new FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId, Partitions = new(topic.Partitions.Count) };
                response.Responses.Add(topicResponse);
                foreach (FetchRequest.FetchPartition partition in topic.Partitions)
                {
                    // A partition named twice is fetched once, with what the last naming asked (Kafka keeps a map too).
                    var key = (version >= FirstTopicIdVersion ? null : topic.Topic, topic.TopicId, partition.Partition);
                    if (seen.TryGetEarlier(key, next, out int earlier))
                    {
                        entries[earlier] = entries[earlier] with { Request = partition };
                        continue;
                    }
                    var partitionResponse = new PartitionData { PartitionIndex = partition.Partition, Records = ReadOnlyMemory<byte>.Empty };
                    topicResponse.Partitions.Add(partitionResponse);
                    ErrorCode error = ErrorCode.None;
                    HostedPartition? hosted = null;
                    if (name is null)
                        error = version >= FirstTopicIdVersion ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition;
                    else if ((hosted = replicas.GetPartition(name, partition.Partition)) is null)
                        error = replicas.NotServedError(name, partition.Partition);
                    else if (fromReplica)
                        error = FollowerFetch.Check(hosted, replicaId, version >= FirstLeaderEpochVersion ? partition.CurrentLeaderEpoch : -1);
                    else
                        error = hosted.CheckLeader(version >= FirstLeaderEpochVersion ? partition.CurrentLeaderEpoch : -1);
                    entries[next++] = new Entry(error == ErrorCode.None ? hosted : null, partition, partitionResponse, error);
                }
            }
            if (next < entries.Length)
                Array.Resize(ref entries, next);
            return new FetchPlan(entries);
        }

        /// <summary>One pass over every partition, in request order, under the byte limits.</summary>
        public FetchPass Read(ReadSettings settings)
        {
            ReleaseReads();
            ErrorCount = 0;
            int limit = Math.Max(0, settings.MaxBytes);
            bool minOneBatch = settings.MinOneBatch;
            int bytes = 0;
            bool done = false;
            for (int index = 0; index < _entries.Length; index++)
            {
                ref Entry entry = ref _entries[index];
                PartitionData data = entry.Response;
                if (entry.Partition is not { } partition)
                {
                    SetError(data, entry.ResolveError);
                    ErrorCount++;
                    done = true;
                    continue;
                }
                if (partition.IsRemoved || !partition.IsLeader)
                {
                    SetError(data, ErrorCode.NotLeaderOrFollower);
                    ErrorCount++;
                    done = true;
                    continue;
                }
                int partitionLimit = Math.Min(Math.Max(0, entry.Request.PartitionMaxBytes), limit);
                try
                {
                    // A fetcher whose log diverged from this one is told where, and gets no records (answered at once); a
                    // follower then records no fetch state.
                    if (settings.DivergenceChecks && FetchDivergence.Answer(partition.Log, entry.Request, data))
                    {
                        done = true;
                        continue;
                    }
                    bool follower = settings.ReplicaId >= 0;
                    // A follower reads up to the log end offset; a consumer below the high watermark (or last stable offset).
                    long bound = follower ? long.MaxValue : settings.ReadCommitted ? partition.LastStableOffset : partition.Log.HighWatermark;
                    LogRegion read = partition.Log.ReadRegion(entry.Request.FetchOffset, partitionLimit, bound, minOneBatch);
                    FileRegionRecords records = _records[index] ??= new FileRegionRecords();
                    data.Records = records.Hold(read);
                    entry.ObservedHighWatermark = follower ? read.LogEndOffset : read.HighWatermark;
                    if (follower && !entry.FollowerRecorded)
                    {
                        // Its fetch offset is its log end offset: recorded once a request, after which the high watermark may move.
                        entry.FollowerRecorded = true;
                        ErrorCode recorded = partition.RecordFollowerFetch(settings.ReplicaId, entry.Request.FetchOffset, settings.Now.GetUtcNow().ToUnixTimeMilliseconds());
                        if (recorded != ErrorCode.None)
                        {
                            ReleaseRead(index);
                            SetError(data, recorded);
                            ErrorCount++;
                            done = true;
                            continue;
                        }
                    }
                    data.ErrorCode = 0;
                    // A follower learns the high watermark its own fetch may just have moved.
                    data.HighWatermark = follower ? Math.Max(read.HighWatermark, partition.Log.HighWatermark) : read.HighWatermark;
                    data.LastStableOffset = read.HighWatermark;
                    data.LogStartOffset = read.LogStartOffset;
                    data.AbortedTransactions = settings.ReadCommitted ? [] : null;
                    if (read.Length > 0)
                        minOneBatch = false;
                    limit = Math.Max(0, limit - read.Length);
                    bytes += read.Length;
                    RecordBytes += read.Length;
                }
                catch (OffsetOutOfRangeException)
                {
                    // Beyond this log's end may be within a successor's, if this broker was deposed without knowing.
                    SetError(data, settings.SessionLease.MayHaveLapsed ? ErrorCode.NotLeaderOrFollower : ErrorCode.OffsetOutOfRange);
                    ErrorCount++;
                    done = true;
                }
                catch (LogClosedException)
                {
                    SetError(data, ErrorCode.NotLeaderOrFollower);
                    ErrorCount++;
                    done = true;
                }
                catch (IOException)
                {
                    SetError(data, ErrorCode.KafkaStorageError);
                    ErrorCount++;
                    done = true;
                }
            }
            return new FetchPass(bytes, done);
        }

        /// <summary>
        /// Waits until a partition's high watermark passes what the last pass saw (a follower's fetch: its log end
        /// offset), leadership changes, or the timeout.
        /// </summary>
        public async Task WaitForDataAsync(TimeSpan timeout, TimeProvider time, bool follower, CancellationToken cancellationToken)
        {
            var waiter = new HighWatermarkWaiter();
            foreach (Entry entry in _entries)
            {
                if (follower)
                    entry.Partition?.AddEndOffsetWaiter(waiter, entry.ObservedHighWatermark + 1);
                else
                    entry.Partition?.AddWaiter(waiter, entry.ObservedHighWatermark + 1);
            }
            try
            {
                await waiter.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            finally
            {
                foreach (Entry entry in _entries)
                {
                    if (follower)
                        entry.Partition?.RemoveEndOffsetWaiter(waiter);
                    else
                        entry.Partition?.RemoveWaiter(waiter);
                }
            }
        }

        private static void SetError(PartitionData data, ErrorCode error)
        {
            data.ErrorCode = (short)error;
            data.HighWatermark = -1;
            data.LastStableOffset = -1;
            data.LogStartOffset = -1;
            data.AbortedTransactions = null;
            data.Records = ReadOnlyMemory<byte>.Empty;
        }

        private void ReleaseRead(int index)
        {
            if (_records[index] is { } records)
                records.Release();
        }

        /// <summary>Releases the regions' leases; the response must no longer point at them.</summary>
        public void ReleaseReads()
        {
            foreach (FileRegionRecords? records in _records)
                records?.Release();
            RecordBytes = 0;
        }

        public void Dispose() => ReleaseReads();

        private record struct Entry(HostedPartition? Partition, FetchRequest.FetchPartition Request, PartitionData Response, ErrorCode ResolveError)
        {
            public long ObservedHighWatermark { get; set; } = -1;

            /// <summary>A follower's fetch offset has been recorded with the partition (once a request).</summary>
            public bool FollowerRecorded { get; set; }
        }

        /// <summary>
        /// The partitions a request has named so far, by (name, id, partition): a scan of the few of a consumer's
        /// usual request, a dictionary once there are many.
        /// </summary>
        private struct SeenPartitions(int total)
        {
            private const int ScanUpTo = 16;
            private readonly PartitionKey[] _keys = new PartitionKey[Math.Min(total, ScanUpTo)];
            private Dictionary<PartitionKey, int>? _many;

            /// <summary>True with the entry that named <paramref name="key"/> first; otherwise records it as entry <paramref name="index"/>.</summary>
            public bool TryGetEarlier(PartitionKey key, int index, out int earlier)
            {
                if (_many is not null)
                {
                    if (_many.TryGetValue(key, out earlier))
                        return true;
                    _many[key] = index;
                    return false;
                }
                for (earlier = 0; earlier < index; earlier++)
                {
                    if (_keys[earlier] == key)
                        return true;
                }
                if (index < _keys.Length)
                {
                    _keys[index] = key;
                    return false;
                }
                _many = new Dictionary<PartitionKey, int>(total);
                for (int known = 0; known < index; known++)
                    _many[_keys[known]] = known;
                _many[key] = index;
                earlier = -1;
                return false;
            }
        }
    }
}
