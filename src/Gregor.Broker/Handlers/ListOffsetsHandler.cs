using Gregor.Broker.Dispatch;
using Gregor.Broker.Replication;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Storage;
using static Gregor.Protocol.Messages.ListOffsetsResponse;

namespace Gregor.Broker.Handlers;

/// <summary>
/// ListOffsets, every version of the schema: latest (-1), earliest (-2), the record with the largest timestamp
/// (-3), earliest local (-4, the same as earliest without tiered storage), latest tiered (-5, none here), or the
/// first offset whose timestamp is at least the one given. Consumers see offsets below the high watermark
/// (read_committed: below the last stable offset); v0 answers in its old list form. From v4 each answer carries
/// its leader epoch (KIP-320): the batch's for a record found, the current leader epoch for latest, the epoch
/// covering the log start for earliest.
/// </summary>
public sealed class ListOffsetsHandler(ReplicaManager replicas) : ApiHandler<ListOffsetsRequest, ListOffsetsResponse>
{
    private const long LatestTieredTimestamp = -5;
    private const int ConsumerReplicaId = -1;
    private const sbyte ReadCommitted = 1;
    private const short FirstLeaderEpochVersion = 4;
    private const short FirstOffsetNotAvailableVersion = 5;

    public override ApiKey Api => ApiKey.ListOffsets;

    protected override ValueTask<ListOffsetsResponse?> HandleAsync(RequestContext context, ListOffsetsRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        bool readCommitted = version >= 2 && request.IsolationLevel == ReadCommitted;
        var seen = new HashSet<TopicPartition>();
        var response = new ListOffsetsResponse();
        foreach (ListOffsetsRequest.ListOffsetsTopic topic in request.Topics)
        {
            var topicResponse = new ListOffsetsTopicResponse { Name = topic.Name, Partitions = new(topic.Partitions.Count) };
            response.Topics.Add(topicResponse);
            foreach (ListOffsetsRequest.ListOffsetsPartition partition in topic.Partitions)
            {
                var partitionResponse = new ListOffsetsPartitionResponse { PartitionIndex = partition.PartitionIndex };
                topicResponse.Partitions.Add(partitionResponse);
                ErrorCode error = seen.Add(new TopicPartition(topic.Name, partition.PartitionIndex))
                    ? Lookup(partitionResponse, topic.Name, partition, request.ReplicaId, readCommitted, version)
                    : ErrorCode.InvalidRequest;
                if (error != ErrorCode.None)
                {
                    partitionResponse.ErrorCode = (short)error;
                    partitionResponse.Timestamp = -1;
                    partitionResponse.Offset = -1;
                    partitionResponse.LeaderEpoch = -1;
                    partitionResponse.OldStyleOffsets.Clear();
                }
            }
        }
        return ValueTask.FromResult<ListOffsetsResponse?>(response);
    }

    private ErrorCode Lookup(ListOffsetsPartitionResponse response, string topic, ListOffsetsRequest.ListOffsetsPartition request,
        int replicaId, bool readCommitted, short version)
    {
        HostedPartition? partition = replicas.GetPartition(topic, request.PartitionIndex);
        if (partition is null)
            return replicas.NotServedError(topic, request.PartitionIndex);
        ErrorCode leadership = partition.CheckLeader(version >= FirstLeaderEpochVersion ? request.CurrentLeaderEpoch : -1);
        if (leadership != ErrorCode.None)
            return leadership;
        PartitionLog log = partition.Log;
        try
        {
            // Consumers see what is committed; a replica or a debugging tool (-2) sees the whole log.
            long fetchable = replicaId != ConsumerReplicaId ? log.LogEndOffset : readCommitted ? partition.LastStableOffset : log.HighWatermark;
            if (version == 0)
                return OldStyle(response, log, request.Timestamp, request.MaxNumOffsets, fetchable);
            // Kafka's rule for a leader elected with a high watermark behind its epoch's start: what consumers may
            // read is not known yet, so neither latest nor a record found at or past the high watermark is answered.
            ErrorCode lagging = replicaId == ConsumerReplicaId && HighWatermarkBehindEpochStart(partition, log)
                ? version >= FirstOffsetNotAvailableVersion ? ErrorCode.OffsetNotAvailable : ErrorCode.LeaderNotAvailable
                : ErrorCode.None;
            if (lagging != ErrorCode.None && request.Timestamp == PartitionLog.LatestTimestamp)
                return lagging;
            TimestampAndOffset? found = request.Timestamp switch
            {
                // Latest answers the partition's current leader epoch, as Kafka's does (KIP-320).
                PartitionLog.LatestTimestamp => new TimestampAndOffset(-1, fetchable, partition.State?.LeaderEpoch ?? -1),
                PartitionLog.EarliestTimestamp or PartitionLog.EarliestLocalTimestamp => log.ListOffset(PartitionLog.EarliestTimestamp),
                LatestTieredTimestamp => null,
                PartitionLog.MaxTimestamp => log.FindOffsetOfMaxTimestamp(),
                // Kafka searches with any other value too; below zero every record qualifies.
                _ => log.FindOffsetByTimestamp(Math.Max(0, request.Timestamp)),
            };
            bool bySearch = request.Timestamp is not (PartitionLog.LatestTimestamp or PartitionLog.EarliestTimestamp or PartitionLog.EarliestLocalTimestamp);
            // A record found by search counts only if consumers can already read it.
            if (found is { } hit && (!bySearch || hit.Offset < fetchable))
            {
                response.Timestamp = hit.Timestamp;
                response.Offset = hit.Offset;
                response.LeaderEpoch = hit.LeaderEpoch;
            }
            else
            {
                if (lagging != ErrorCode.None && bySearch && request.Timestamp != LatestTieredTimestamp)
                    return lagging;
                response.Timestamp = -1;
                response.Offset = -1;
                response.LeaderEpoch = -1;
            }
            return ErrorCode.None;
        }
        catch (LogClosedException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
        catch (IOException)
        {
            return ErrorCode.KafkaStorageError;
        }
    }

    /// <summary>
    /// Whether the log's latest epoch is the partition's current one and began above the high watermark: a new leader
    /// whose followers have not yet confirmed what its predecessor committed.
    /// </summary>
    private static bool HighWatermarkBehindEpochStart(HostedPartition partition, PartitionLog log)
    {
        IReadOnlyList<LeaderEpochEntry> epochs = log.LeaderEpochs;
        return epochs.Count > 0 && epochs[^1].Epoch == partition.State?.LeaderEpoch && epochs[^1].StartOffset > log.HighWatermark;
    }

    /// <summary>
    /// v0: up to max_num_offsets offsets, newest first: for latest the end offset and then segment base offsets,
    /// for earliest the log start offset, for a timestamp the base offsets of segments whose records all precede it
    /// (Kafka used the segment files' modification times; the segments' largest timestamps stand in for them here).
    /// </summary>
    private static ErrorCode OldStyle(ListOffsetsPartitionResponse response, PartitionLog log, long timestamp, int maxNumOffsets, long fetchable)
    {
        if (maxNumOffsets < 0)
            return ErrorCode.InvalidRequest;
        if (timestamp == PartitionLog.EarliestTimestamp)
        {
            if (maxNumOffsets > 0)
                response.OldStyleOffsets.Add(log.LogStartOffset);
            return ErrorCode.None;
        }
        var offsets = new List<long>();
        IReadOnlyList<LogSegment> segments = log.Segments;
        if (timestamp == PartitionLog.LatestTimestamp)
            offsets.Add(fetchable);
        for (int index = segments.Count - 1; index >= 0 && offsets.Count < maxNumOffsets; index--)
        {
            LogSegment segment = segments[index];
            if (segment.BaseOffset >= fetchable || segment.BaseOffset < log.LogStartOffset)
                continue;
            if (timestamp == PartitionLog.LatestTimestamp || segment.LargestTimestamp < timestamp)
                offsets.Add(segment.BaseOffset);
        }
        if (offsets.Count > maxNumOffsets)
            offsets.RemoveRange(maxNumOffsets, offsets.Count - maxNumOffsets);
        response.OldStyleOffsets = offsets;
        return ErrorCode.None;
    }
}
