namespace Gregor.Raft;

/// <summary>
/// What a node must not forget across a crash: the newest epoch it has seen, whom it voted for in it
/// (−1 none) and the leader it knows of in it (−1 none). Kafka's <c>quorum-state</c> file holds the same.
/// </summary>
public sealed record QuorumStateData(int Epoch, int VotedId, int LeaderId)
{
    public static QuorumStateData Initial { get; } = new(0, -1, -1);
}

/// <summary>Where <see cref="QuorumStateData"/> lives. <see cref="Write"/> returns only once the state is durable.</summary>
public interface IQuorumStateStore
{
    /// <summary>The stored state, or null when nothing was ever written.</summary>
    QuorumStateData? Read();

    void Write(QuorumStateData state);
}
