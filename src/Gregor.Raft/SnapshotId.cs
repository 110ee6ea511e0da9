namespace Gregor.Raft;

/// <summary>
/// Names a snapshot by the log position it covers: every record below <see cref="EndOffset"/>, the last of
/// which was appended in <see cref="Epoch"/> (KIP-630). A snapshot holds only committed state.
/// </summary>
public readonly record struct SnapshotId(long EndOffset, int Epoch)
{
    public OffsetAndEpoch Position => new(EndOffset, Epoch);

    public override string ToString() => $"{EndOffset:D20}-{Epoch:D10}";
}
