using System.Text.Json;

namespace Gregor.Client.Serdes;

/// <summary>Plain UTF-8 JSON through System.Text.Json (no schema-registry framing). A null value stays null.</summary>
public sealed class JsonSerializer<T> : ISerializer<T>
{
    private readonly JsonSerializerOptions? _options;

    public JsonSerializer(JsonSerializerOptions? options = null) => _options = options;

    public byte[]? Serialize(T data, SerializationContext context) =>
        data is null ? null : System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(data, _options);
}

/// <summary>Reads what <see cref="JsonSerializer{T}"/> writes; malformed JSON is a JsonException.</summary>
public sealed class JsonDeserializer<T> : IDeserializer<T>
{
    private readonly JsonSerializerOptions? _options;

    public JsonDeserializer(JsonSerializerOptions? options = null) => _options = options;

    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? default! : System.Text.Json.JsonSerializer.Deserialize<T>(data, _options)!;
}
