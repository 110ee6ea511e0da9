using System.Globalization;

namespace Gregor.Client;

/// <summary>A position in a partition, or one of the logical positions (librdkafka's values).</summary>
public readonly struct Offset : IEquatable<Offset>, IComparable<Offset>
{
    public const long BeginningValue = -2;
    public const long EndValue = -1;
    public const long StoredValue = -1000;
    public const long UnsetValue = -1001;

    /// <summary>The earliest offset still in the log.</summary>
    public static Offset Beginning => new(BeginningValue);

    /// <summary>The offset the next produced record will get (the log end).</summary>
    public static Offset End => new(EndValue);

    /// <summary>The group's committed offset.</summary>
    public static Offset Stored => new(StoredValue);

    /// <summary>No offset.</summary>
    public static Offset Unset => new(UnsetValue);

    public Offset(long offset) => Value = offset;

    public long Value { get; }

    /// <summary>Whether this is one of the logical positions rather than a real offset.</summary>
    public bool IsSpecial => Value is BeginningValue or EndValue or StoredValue or UnsetValue;

    public static implicit operator Offset(long offset) => new(offset);

    public static implicit operator long(Offset offset) => offset.Value;

    public static Offset operator +(Offset a, int b) => new(a.Value + b);

    public static Offset operator +(Offset a, long b) => new(a.Value + b);

    public bool Equals(Offset other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is Offset other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode();

    public int CompareTo(Offset other) => Value.CompareTo(other.Value);

    public static bool operator ==(Offset a, Offset b) => a.Value == b.Value;

    public static bool operator !=(Offset a, Offset b) => a.Value != b.Value;

    public static bool operator <(Offset a, Offset b) => a.Value < b.Value;

    public static bool operator >(Offset a, Offset b) => a.Value > b.Value;

    public static bool operator <=(Offset a, Offset b) => a.Value <= b.Value;

    public static bool operator >=(Offset a, Offset b) => a.Value >= b.Value;

    public override string ToString() => Value switch
    {
        BeginningValue => "Beginning [-2]",
        EndValue => "End [-1]",
        StoredValue => "Stored [-1000]",
        UnsetValue => "Unset [-1001]",
        _ => Value.ToString(CultureInfo.InvariantCulture),
    };
}
