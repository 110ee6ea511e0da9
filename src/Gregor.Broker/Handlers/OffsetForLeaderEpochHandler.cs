using Gregor.Broker.Dispatch;
using Gregor.Broker.Replication;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using static Gregor.Protocol.Messages.OffsetForLeaderEpochResponse;
using LogClosedException = Gregor.Storage.LogClosedException;
using LogEpochEnd = Gregor.Storage.EpochEndOffset;

namespace Gregor.Broker.Handlers;

/// <summary>
/// OffsetForLeaderEpoch, v0-4 (KIP-101/279/320): where a leader epoch ends in the partition leader's log — the start
/// offset of the next larger epoch, or the log end offset for the latest one — and (v1+) the largest epoch at or below
/// the one asked for. A follower truncates its log there on becoming a follower; a consumer compares it with its
/// position to detect that the log it read was truncated. As in Kafka, only the leader answers, to followers (replica
/// id ≥ 0) and clients (-1, -2) alike, and a current leader epoch (v2+) other than the leader's is fenced.
/// </summary>
public sealed class OffsetForLeaderEpochHandler(ReplicaManager replicas) : ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>
{
    private const short FirstCurrentLeaderEpochVersion = 2;

    public override ApiKey Api => ApiKey.OffsetForLeaderEpoch;

    protected override ValueTask<OffsetForLeaderEpochResponse?> HandleAsync(RequestContext context, OffsetForLeaderEpochRequest request,
        CancellationToken cancellationToken)
    {
        bool fenced = context.ApiVersion >= FirstCurrentLeaderEpochVersion;
        var response = new OffsetForLeaderEpochResponse();
        foreach (OffsetForLeaderEpochRequest.OffsetForLeaderTopic topic in request.Topics)
        {
            var topicResult = new OffsetForLeaderTopicResult { Topic = topic.Topic, Partitions = new(topic.Partitions.Count) };
            response.Topics.Add(topicResult);
            foreach (OffsetForLeaderEpochRequest.OffsetForLeaderPartition partition in topic.Partitions)
            {
                var result = new EpochEndOffset { Partition = partition.Partition, LeaderEpoch = LogEpochEnd.UndefinedEpoch, EndOffset = LogEpochEnd.UndefinedEndOffset };
                ErrorCode error = Answer(result, topic.Topic, partition.Partition, fenced ? partition.CurrentLeaderEpoch : -1, partition.LeaderEpoch);
                result.ErrorCode = (short)error;
                topicResult.Partitions.Add(result);
            }
        }
        return ValueTask.FromResult<OffsetForLeaderEpochResponse?>(response);
    }

    private ErrorCode Answer(EpochEndOffset result, string topic, int partitionIndex, int currentLeaderEpoch, int requestedEpoch)
    {
        HostedPartition? partition = replicas.GetPartition(topic, partitionIndex);
        if (partition is null)
            return replicas.NotServedError(topic, partitionIndex);
        ErrorCode leadership = partition.CheckLeader(currentLeaderEpoch);
        if (leadership != ErrorCode.None)
            return leadership;
        try
        {
            // An epoch the log does not know is no error: the answer is (-1, -1), as Kafka gives it.
            LogEpochEnd end = partition.Log.EndOffsetForEpoch(requestedEpoch);
            result.LeaderEpoch = end.Epoch;
            result.EndOffset = end.EndOffset;
            return ErrorCode.None;
        }
        catch (LogClosedException)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
    }
}
