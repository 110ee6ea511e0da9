using System.Globalization;

namespace Gregor.Client;

/// <summary>A partition number; <see cref="Any"/> lets the partitioner choose.</summary>
public readonly struct Partition : IEquatable<Partition>, IComparable<Partition>
{
    /// <summary>No particular partition: the partitioner decides (-1).</summary>
    public static Partition Any => new(-1);

    public Partition(int partition) => Value = partition;

    public int Value { get; }

    public bool IsSpecial => Value == -1;

    public static implicit operator Partition(int partition) => new(partition);

    public static implicit operator int(Partition partition) => partition.Value;

    public bool Equals(Partition other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is Partition other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode();

    public int CompareTo(Partition other) => Value.CompareTo(other.Value);

    public static bool operator ==(Partition a, Partition b) => a.Value == b.Value;

    public static bool operator !=(Partition a, Partition b) => a.Value != b.Value;

    public static bool operator <(Partition a, Partition b) => a.Value < b.Value;

    public static bool operator >(Partition a, Partition b) => a.Value > b.Value;

    public static bool operator <=(Partition a, Partition b) => a.Value <= b.Value;

    public static bool operator >=(Partition a, Partition b) => a.Value >= b.Value;

    public override string ToString() => Value == -1 ? "[Any]" : "[" + Value.ToString(CultureInfo.InvariantCulture) + "]";
}
