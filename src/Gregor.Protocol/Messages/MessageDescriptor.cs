namespace Gregor.Protocol.Messages;

/// <summary>
/// What a generated message was built from: its versions, fields and the bounds on what decoding
/// it may allocate. Decoding a frame of N bytes allocates at most
/// <c>RootAllocation + N * MaxAllocationPerWireByte</c> bytes, and at most
/// <c>RootAllocation + E * MaxAllocationPerElement + 2 * N</c> when its arrays hold E elements in
/// all, so a reader's element budget caps what a small frame of many tiny elements can cost. The
/// generator derives the factors from the schema; tests hold every message to both.
/// </summary>
public sealed record MessageDescriptor(
    string Name,
    string Kind,
    short ApiKey,
    short LowestVersion,
    short HighestVersion,
    short FirstFlexibleVersion,
    int MaxAllocationPerWireByte,
    int MaxAllocationPerElement,
    int RootAllocation,
    StructDescriptor Root,
    IReadOnlyList<StructDescriptor> Structs)
{
    /// <summary>String and byte-array payloads: a UTF-8 byte becomes at most one UTF-16 char.</summary>
    public const int PayloadAllocationPerWireByte = 2;

    public bool IsFlexible(short version) => FirstFlexibleVersion >= 0 && version >= FirstFlexibleVersion;

    public long MaxAllocationFor(int frameBytes) => RootAllocation + ((long)frameBytes * MaxAllocationPerWireByte);

    /// <summary>The tighter of the two bounds for a frame whose arrays held <paramref name="elements"/> elements (or were cut off by a budget of that many).</summary>
    public long MaxAllocationFor(int frameBytes, long elements) => Math.Min(
        MaxAllocationFor(frameBytes),
        RootAllocation + (elements * MaxAllocationPerElement) + ((long)frameBytes * PayloadAllocationPerWireByte));
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
