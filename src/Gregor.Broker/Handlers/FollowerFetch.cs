using Gregor.Broker.Replication;
using Gregor.Protocol;

namespace Gregor.Broker.Handlers;

/// <summary>
/// The leader's rule for a fetch from a follower (replica id ≥ 0): the fetcher must be a replica of a partition this
/// broker leads at the epoch it names. It then reads up to the log end offset and its fetch offset becomes its log end
/// offset (<see cref="HostedPartition.RecordFollowerFetch"/>); a diverging last fetched epoch is answered as for any
/// fetcher (<see cref="FetchDivergence"/>), with no fetch state recorded.
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
}
