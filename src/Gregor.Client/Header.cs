namespace Gregor.Client;

/// <summary>A record header: a key and a value that may be null.</summary>
public interface IHeader
{
    string Key { get; }

    byte[]? GetValueBytes();
}

/// <summary>A record header (Kafka allows repeated keys and null values).</summary>
public sealed class Header : IHeader
{
    private readonly byte[]? _value;

    public Header(string key, byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Key = key;
        _value = value;
    }

    public string Key { get; }

    public byte[]? GetValueBytes() => _value;
}
