namespace Gregor.Protocol.Primitives;

/// <summary>A message was asked for at a version its schema does not define (UNSUPPORTED_VERSION on the wire).</summary>
public sealed class UnsupportedVersionException : Exception
{
    public UnsupportedVersionException() { }

    public UnsupportedVersionException(string message) : base(message) { }

    public UnsupportedVersionException(string message, Exception inner) : base(message, inner) { }

    public UnsupportedVersionException(string messageName, short version)
        : base($"{messageName} has no version {version}")
    {
        MessageName = messageName;
        Version = version;
    }

    public string? MessageName { get; }

    public short Version { get; }
}
