namespace Gregor.Client.Consumer;

/// <summary>
/// The deserializer a consumer uses for keys or values: the one set on the builder, else the built-in one for
/// string, int, long, float, double, byte[], Null and Ignore (as Confluent.Kafka picks them).
/// </summary>
internal static class RecordDeserializer
{
    public static IDeserializer<T> Resolve<T>(IDeserializer<T>? custom, MessageComponentType component)
    {
        if (custom is not null) return custom;
        object? builtIn = typeof(T) == typeof(string) ? Deserializers.Utf8
            : typeof(T) == typeof(byte[]) ? Deserializers.ByteArray
            : typeof(T) == typeof(Null) ? Deserializers.Null
            : typeof(T) == typeof(Ignore) ? Deserializers.Ignore
            : typeof(T) == typeof(int) ? Deserializers.Int32
            : typeof(T) == typeof(long) ? Deserializers.Int64
            : typeof(T) == typeof(float) ? Deserializers.Single
            : typeof(T) == typeof(double) ? Deserializers.Double
            : null;
        return builtIn as IDeserializer<T>
            ?? throw new ArgumentException($"no deserializer for {typeof(T).Name} {component.ToString().ToLowerInvariant()}s was set and there is no built-in one");
    }
}
