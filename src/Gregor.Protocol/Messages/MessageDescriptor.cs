namespace Gregor.Protocol.Messages;

/// <summary>
/// What a generated message was built from: its versions, fields and the bound on what decoding
/// it may allocate. Decoding a frame of N bytes allocates at most
/// <c>RootAllocation + N * MaxAllocationPerWireByte</c> bytes (the generator derives the factor
/// from the schema; a test holds every message to it).
/// </summary>
public sealed record MessageDescriptor(
    string Name,
    string Kind,
    short ApiKey,
    short LowestVersion,
    short HighestVersion,
    short FirstFlexibleVersion,
    int MaxAllocationPerWireByte,
    int RootAllocation,
    StructDescriptor Root,
    IReadOnlyList<StructDescriptor> Structs)
{
    public bool IsFlexible(short version) => FirstFlexibleVersion >= 0 && version >= FirstFlexibleVersion;

    public long MaxAllocationFor(int frameBytes) => RootAllocation + ((long)frameBytes * MaxAllocationPerWireByte);
}

public sealed record StructDescriptor(string Name, Type ClrType, IReadOnlyList<FieldDescriptor> Fields);

public sealed record FieldDescriptor(
    string Name,
    string Type,
    short LowestVersion,
    short HighestVersion,
    short NullableLowest,
    short NullableHighest,
    int Tag,
    short TaggedLowest,
    short TaggedHighest,
    string? Default,
    bool NoFlex)
{
    public bool IsTagged => Tag >= 0;

    public bool IsArray => Type.StartsWith("[]", StringComparison.Ordinal);

    public string ElementType => IsArray ? Type[2..] : Type;

    public bool IsPresentIn(short version) => IsTagged
        ? version >= TaggedLowest && version <= TaggedHighest
        : version >= LowestVersion && version <= HighestVersion;

    public bool IsNullableIn(short version) => version >= NullableLowest && version <= NullableHighest;
}
