namespace Gregor.Raft;

/// <summary>
/// A position in the replicated log named by its offset and the leader epoch of the entry before it,
/// the pair Raft compares to decide whose log is more up to date and where two logs diverge.
/// Ordered by epoch first, then offset.
/// </summary>
public readonly record struct OffsetAndEpoch(long Offset, int Epoch) : IComparable<OffsetAndEpoch>
{
    public int CompareTo(OffsetAndEpoch other)
    {
        int byEpoch = Epoch.CompareTo(other.Epoch);
        return byEpoch != 0 ? byEpoch : Offset.CompareTo(other.Offset);
    }

    public static bool operator <(OffsetAndEpoch a, OffsetAndEpoch b) => a.CompareTo(b) < 0;
    public static bool operator >(OffsetAndEpoch a, OffsetAndEpoch b) => a.CompareTo(b) > 0;
    public static bool operator <=(OffsetAndEpoch a, OffsetAndEpoch b) => a.CompareTo(b) <= 0;
    public static bool operator >=(OffsetAndEpoch a, OffsetAndEpoch b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Offset}@{Epoch}";
}
