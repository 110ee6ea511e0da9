namespace Gregor.Client;

/// <summary>Which part of a record a serializer is working on.</summary>
public enum MessageComponentType
{
    Key = 1,
    Value = 2,
}

/// <summary>What a serializer knows about the record it serializes: the component, the topic and the headers.</summary>
public readonly struct SerializationContext
{
    public SerializationContext(MessageComponentType component, string topic, Headers? headers = null)
    {
        Component = component;
        Topic = topic;
        Headers = headers;
    }

    /// <summary>No topic, value component; for serializers used outside a client.</summary>
    public static SerializationContext Empty => default;

    public string Topic { get; }

    public MessageComponentType Component { get; }

    /// <summary>The record's headers; a serializer may add to them.</summary>
    public Headers? Headers { get; }
}

/// <summary>The type of a key or value that is always null.</summary>
public sealed class Null
{
    private Null()
    {
    }
}

/// <summary>The type of a key or value the consumer does not deserialize.</summary>
public sealed class Ignore
{
    private Ignore()
    {
    }
}
