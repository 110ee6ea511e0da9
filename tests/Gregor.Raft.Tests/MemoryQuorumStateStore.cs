namespace Gregor.Raft.Tests;

/// <summary>A quorum-state store in memory; it survives a simulated crash, as the fsynced file does.</summary>
internal sealed class MemoryQuorumStateStore : IQuorumStateStore
{
    private QuorumStateData? _state;

    public int Writes { get; private set; }

    public QuorumStateData? Read() => _state;

    public void Write(QuorumStateData state)
    {
        _state = state;
        Writes++;
    }
}
