namespace Gregor.Raft;

/// <summary>A proposal reached a node that does not lead the quorum, or its leader lost the epoch before the batch committed.</summary>
public sealed class NotLeaderException(string message, int leaderId) : Exception(message)
{
    /// <summary>The leader this node knows of, or −1.</summary>
    public int LeaderId { get; } = leaderId;
}
