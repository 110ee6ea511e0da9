using Google.Protobuf;

namespace Gregor.Client.Serdes;

/// <summary>A protobuf message in its binary encoding (no schema-registry framing). A null message stays null.</summary>
public sealed class ProtobufSerializer<T> : ISerializer<T>
    where T : class, IMessage<T>
{
    public byte[]? Serialize(T data, SerializationContext context) => data?.ToByteArray();
}

/// <summary>Parses what <see cref="ProtobufSerializer{T}"/> writes; malformed input is an InvalidProtocolBufferException.</summary>
public sealed class ProtobufDeserializer<T> : IDeserializer<T>
    where T : class, IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(() => new T());

    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? null! : Parser.ParseFrom(data);
}
