using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Messages;

/// <summary>A generated struct or message: it knows its encoded size and writes itself for a version.</summary>
public interface IProtocolStruct
{
    int Size(short version);

    void Write(ref ProtocolWriter writer, short version);
}

/// <summary>A generated top-level message (request, response or header).</summary>
public interface IProtocolMessage<TSelf> : IProtocolStruct
    where TSelf : IProtocolMessage<TSelf>
{
    static abstract short LowestVersion { get; }

    static abstract short HighestVersion { get; }

    static abstract MessageDescriptor Descriptor { get; }

    static abstract bool IsFlexible(short version);

    static abstract TSelf Read(ref ProtocolReader reader, short version);
}
