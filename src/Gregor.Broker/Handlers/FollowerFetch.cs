using Gregor.Broker.Replication;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Storage;

namespace Gregor.Broker.Handlers;

/// <summary>
/// The leader's rules for a fetch from a follower (replica id ≥ 0): the fetcher must be a replica of a partition this
/// broker leads at the epoch it names; it reads up to the log end offset, its fetch offset becomes its log end
/// offset (<see cref="HostedPartition.RecordFollowerFetch"/>), and a last fetched epoch the leader's log does not
/// have up to the fetch offset is answered with the diverging epoch instead of records (KIP-320, Fetch v12+).
/// </summary>
internal static class FollowerFetch
{
    /// <summary>Whether <paramref name="replicaId"/> may fetch <paramref name="partition"/> from this broker.</summary>
    public static ErrorCode Check(HostedPartition partition, int replicaId, int currentLeaderEpoch)
    {
        ErrorCode leadership = partition.CheckLeader(currentLeaderEpoch);
        if (leadership != ErrorCode.None)
            return leadership;
        // Kafka answers a fetch from a broker that holds no replica as from a follower of the wrong partition.
        return partition.HasFollower(replicaId) ? ErrorCode.None : ErrorCode.NotLeaderOrFollower;
    }

    /// <summary>
    /// Checks the follower's last fetched epoch (v12+, KIP-320): the batch before its fetch offset was written in that
    /// epoch, so the leader's log must hold that epoch up to at least the fetch offset. Where it does not, the answer is
    /// the leader's end of the largest epoch it has at or below it (<paramref name="diverging"/>), for the follower to
    /// truncate to; where the leader knows no such epoch at all, OFFSET_OUT_OF_RANGE (the follower then asks where the
    /// leader's log starts and ends). No check without a last fetched epoch.
    /// </summary>
    public static ErrorCode CheckLastFetchedEpoch(HostedPartition partition, FetchRequest.FetchPartition request, out FetchResponse.EpochEndOffset? diverging)
    {
        diverging = null;
        if (request.LastFetchedEpoch < 0)
            return ErrorCode.None;
        EpochEndOffset end = partition.Log.EndOffsetForEpoch(request.LastFetchedEpoch);
        if (end.IsUndefined || end.Epoch < 0)
            return ErrorCode.OffsetOutOfRange;
        if (end.Epoch < request.LastFetchedEpoch || end.EndOffset < request.FetchOffset)
            diverging = new FetchResponse.EpochEndOffset { Epoch = end.Epoch, EndOffset = end.EndOffset };
        return ErrorCode.None;
    }

    public static void SetDiverging(FetchResponse.PartitionData data, HostedPartition partition, FetchResponse.EpochEndOffset diverging)
    {
        data.ErrorCode = 0;
        data.DivergingEpoch = diverging;
        data.HighWatermark = partition.Log.HighWatermark;
        data.LastStableOffset = partition.LastStableOffset;
        data.LogStartOffset = partition.Log.LogStartOffset;
        data.AbortedTransactions = null;
        data.Records = ReadOnlyMemory<byte>.Empty;
    }
}
