namespace Gregor.Client;

/// <summary>Turns a key or value into the bytes stored in the record (null for a null key or value).</summary>
public interface ISerializer<in T>
{
    byte[]? Serialize(T data, SerializationContext context);
}

/// <summary>Turns a record's key or value bytes back into a value.</summary>
public interface IDeserializer<out T>
{
    /// <param name="data">The bytes; empty when <paramref name="isNull"/>.</param>
    /// <param name="isNull">Whether the record's key or value is null (as opposed to empty).</param>
    /// <param name="context">The component, topic and headers.</param>
    T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context);
}

/// <summary>A serializer that may need I/O (e.g. a schema registry).</summary>
public interface IAsyncSerializer<in T>
{
    Task<byte[]?> SerializeAsync(T data, SerializationContext context);
}

/// <summary>A deserializer that may need I/O.</summary>
public interface IAsyncDeserializer<T>
{
    Task<T> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context);
}
