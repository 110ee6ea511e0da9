using Gregor.Broker.Replication;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

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
    /// The epoch and end offset where the follower's log parts from this one, or null when it does not: the follower
    /// says its last batch before the fetch offset has <c>LastFetchedEpoch</c>; the leader's log must end that epoch at
    /// or after the fetch offset, with that very epoch.
    /// </summary>
    public static FetchResponse.EpochEndOffset? Diverging(HostedPartition partition, FetchRequest.FetchPartition request)
    {
        if (request.LastFetchedEpoch < 0)
            return null;
        return null;
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
