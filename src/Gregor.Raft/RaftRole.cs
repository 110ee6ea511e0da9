namespace Gregor.Raft;

/// <summary>KRaft's replica states (KIP-595, with KIP-996's prospective state for pre-vote).</summary>
public enum RaftRole
{
    /// <summary>Knows an epoch but neither a leader nor a vote of its own in it.</summary>
    Unattached,
    /// <summary>A voter that lost its leader and asks, without changing any epoch, whether it could win (pre-vote).</summary>
    Prospective,
    /// <summary>A voter that bumped the epoch, voted for itself and asks for votes.</summary>
    Candidate,
    Leader,
    /// <summary>Fetches from a known leader (a voter, or an observer such as a broker).</summary>
    Follower,
    /// <summary>A leader that gave up its epoch (graceful shutdown, or lost contact with a majority) and waits for the next.</summary>
    Resigned,
}
