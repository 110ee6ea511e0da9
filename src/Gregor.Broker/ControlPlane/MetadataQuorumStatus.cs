using Gregor.Metadata;
using Gregor.Raft;

namespace Gregor.Broker.ControlPlane;

/// <summary>The metadata quorum as this node sees it, for DescribeQuorum.</summary>
public interface IQuorumStatus
{
    /// <summary>
    /// The quorum as this node leads it, its replicas' fetch and caught-up times as Unix epoch milliseconds (−1 unknown);
    /// null when this node does not lead it (or its metadata log is not open).
    /// </summary>
    QuorumDescription? Describe();
}

/// <summary>
/// <see cref="IQuorumStatus"/> over the metadata log <see cref="ControlPlaneHost"/> opens: attached when the log is
/// replayed, detached when it closes.
/// </summary>
public sealed class MetadataQuorumStatus(TimeProvider time) : IQuorumStatus
{
    private volatile MetadataLog? _log;

    internal void Attach(MetadataLog? log) => _log = log;

    public QuorumDescription? Describe()
    {
        var log = _log;
        if (log?.DescribeQuorum() is not { } quorum) return null;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // The leader is caught up with itself at every moment, and Kafka's leader reports its own times as the time of
        // the request. Raft's view of it is as of its last tick, which on one voter is the last metadata write.
        ReplicaProgress OnWallClock(ReplicaProgress r) => r.ReplicaId == quorum.LeaderId
            ? r with { LastFetchTimeMs = now, LastCaughtUpTimeMs = now }
            : r with { LastFetchTimeMs = log.RaftTimeToUnixMs(r.LastFetchTimeMs), LastCaughtUpTimeMs = log.RaftTimeToUnixMs(r.LastCaughtUpTimeMs) };
        return quorum with { Voters = [.. quorum.Voters.Select(OnWallClock)], Observers = [.. quorum.Observers.Select(OnWallClock)] };
    }
}

/// <summary>Which voter leads the metadata quorum as this node last heard, that is which controller is active.</summary>
public interface IQuorumLeader
{
    /// <summary>The leader's node id, or −1 while none is known (an election is under way, or the log is not open).</summary>
    Task<int> LeaderIdAsync();
}

/// <summary><see cref="IQuorumStatus"/> of a member (voter or observer) of a quorum of several voters, over its replicated metadata log once open.</summary>
public sealed class ReplicatedQuorumStatus : IQuorumStatus, IQuorumLeader
{
    private volatile ReplicatedMetadataLog? _log;

    internal void Attach(ReplicatedMetadataLog? log) => _log = log;

    public QuorumDescription? Describe()
    {
        var log = _log;
        if (log is null) return null;
        // Asked from a request's thread, never the driver's loop, so waiting for the loop's answer is safe.
        if (log.DescribeAsync().GetAwaiter().GetResult() is not { } quorum) return null;
        ReplicaProgress OnWallClock(ReplicaProgress r) =>
            r with { LastFetchTimeMs = log.RaftTimeToUnixMs(r.LastFetchTimeMs), LastCaughtUpTimeMs = log.RaftTimeToUnixMs(r.LastCaughtUpTimeMs) };
        return quorum with { Voters = [.. quorum.Voters.Select(OnWallClock)], Observers = [.. quorum.Observers.Select(OnWallClock)] };
    }

    /// <summary>The quorum's leader as this member knows it (the active controller), or −1 before the log opens or while none is known.</summary>
    public async Task<int> LeaderIdAsync()
    {
        var log = _log;
        if (log is null) return -1;
        try
        {
            return await log.Driver.ReadAsync(node => node.LeaderId).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException)
        {
            return -1; // the log is closing or its Raft member stopped: no leader this node knows of
        }
    }
}
