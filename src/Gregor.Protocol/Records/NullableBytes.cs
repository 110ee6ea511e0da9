namespace Gregor.Protocol.Records;

/// <summary>
/// A span of bytes that can also be null, as record keys, values and header values can
/// (a null value is a tombstone, which is not the same as an empty value). A span alone
/// cannot tell the two apart.
/// </summary>
public readonly ref struct NullableBytes
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly bool _isNull;

    private NullableBytes(ReadOnlySpan<byte> span, bool isNull)
    {
        _span = span;
        _isNull = isNull;
    }

    public static NullableBytes Null => new(default, true);

    public static NullableBytes Of(ReadOnlySpan<byte> span) => new(span, false);

    public bool IsNull => _isNull;

    /// <summary>The bytes; empty when null.</summary>
    public ReadOnlySpan<byte> Span => _span;

    public int Length => _span.Length;

    /// <summary>The wire length: -1 for null.</summary>
    public int WireLength => _isNull ? -1 : _span.Length;

    /// <summary>A copy, or null; allocates, for tests and slow paths.</summary>
    public byte[]? ToArray() => _isNull ? null : _span.ToArray();

    public static implicit operator NullableBytes(ReadOnlySpan<byte> span) => new(span, false);

    public static implicit operator NullableBytes(byte[]? array) => array is null ? Null : new(array, false);
}
