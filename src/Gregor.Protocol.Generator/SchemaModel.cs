using System.Collections.Generic;

namespace Gregor.Protocol.Generator;

/// <summary>An inclusive range of versions; Empty means "none".</summary>
internal readonly struct VersionRange
{
    public const int Open = short.MaxValue;

    public VersionRange(int lowest, int highest)
    {
        Lowest = lowest;
        Highest = highest;
    }

    public int Lowest { get; }

    public int Highest { get; }

    public static VersionRange Empty => new(1, 0);

    public static VersionRange All => new(0, Open);

    public bool IsEmpty => Lowest > Highest;

    public bool Contains(int version) => version >= Lowest && version <= Highest;

    public VersionRange Intersect(VersionRange other)
    {
        int lo = Lowest > other.Lowest ? Lowest : other.Lowest;
        int hi = Highest < other.Highest ? Highest : other.Highest;
        return lo > hi ? Empty : new VersionRange(lo, hi);
    }

    public override string ToString() => IsEmpty ? "none" : Highest == Open ? Lowest + "+" : Lowest == Highest ? Lowest.ToString() : Lowest + "-" + Highest;
}

internal enum PrimitiveKind
{
    None,
    Bool,
    Int8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    Float64,
    String,
    Bytes,
    Uuid,
    Records,
}

internal sealed class FieldSpec
{
    public string Name = "";
    public string TypeText = "";
    public bool IsArray;
    public PrimitiveKind Primitive; // None: a struct
    public string StructName = "";
    public VersionRange Versions = VersionRange.All;
    public VersionRange NullableVersions = VersionRange.Empty;
    public int Tag = -1;
    public VersionRange TaggedVersions = VersionRange.Empty;
    public bool HasExplicitTaggedVersions;
    public string? Default;
    public bool NoFlex;
    public int Line;

    public bool IsTagged => Tag >= 0;
}

internal sealed class StructSpec
{
    public string Name = "";
    public List<FieldSpec> Fields = new List<FieldSpec>();
    public int Line;
}

internal sealed class MessageSpec
{
    public string Kind = ""; // request | response | header
    public string Name = "";
    public int ApiKey = -1;
    public VersionRange Versions;
    public VersionRange Flexible = VersionRange.Empty;
    public StructSpec Root = new StructSpec();
    public List<StructSpec> Structs = new List<StructSpec>(); // every nested struct, flat
    public string File = "";

    public string ClassName => Kind == "request" ? Name + "Request" : Kind == "response" ? Name + "Response" : Name;
}

internal sealed class SchemaError
{
    public SchemaError(string file, int line, string message)
    {
        File = file;
        Line = line;
        Message = message;
    }

    public string File { get; }

    public int Line { get; }

    public string Message { get; }
}
