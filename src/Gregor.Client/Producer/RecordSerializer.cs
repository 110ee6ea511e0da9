using System.Runtime.CompilerServices;

namespace Gregor.Client.Producer;

/// <summary>
/// Turns a key or value into the bytes a record carries. byte[], ReadOnlyMemory&lt;byte&gt; and
/// Memory&lt;byte&gt; pass through untouched (no copy before the batch); Null is a null; strings,
/// ints, longs, floats and doubles use the built-in serializers unless one was set.
/// </summary>
internal abstract class RecordSerializer<T>
{
    public abstract ReadOnlyMemory<byte> Serialize(T data, string topic, Headers? headers, out bool isNull);

    public static RecordSerializer<T> Create(ISerializer<T>? custom, MessageComponentType component)
    {
        // The built-in byte[] serializer returns its input; passing the array through skips a call and a context per record.
        if (custom is not null && !(typeof(T) == typeof(byte[]) && ReferenceEquals(custom, Serializers.ByteArray))) return new Custom(custom, component);
        if (typeof(T) == typeof(byte[]) || typeof(T) == typeof(ReadOnlyMemory<byte>) || typeof(T) == typeof(Memory<byte>) || typeof(T) == typeof(Null))
            return new PassThrough();
        object? builtIn = typeof(T) == typeof(string) ? Serializers.Utf8
            : typeof(T) == typeof(int) ? Serializers.Int32
            : typeof(T) == typeof(long) ? Serializers.Int64
            : typeof(T) == typeof(float) ? Serializers.Single
            : typeof(T) == typeof(double) ? Serializers.Double
            : null;
        if (builtIn is ISerializer<T> serializer) return new Custom(serializer, component);
        throw new ArgumentException($"no serializer for {typeof(T).Name} {component.ToString().ToLowerInvariant()}s was set and there is no built-in one");
    }

    private sealed class Custom(ISerializer<T> serializer, MessageComponentType component) : RecordSerializer<T>
    {
        public override ReadOnlyMemory<byte> Serialize(T data, string topic, Headers? headers, out bool isNull)
        {
            byte[]? bytes = serializer.Serialize(data, new SerializationContext(component, topic, headers));
            isNull = bytes is null;
            return bytes;
        }
    }

    private sealed class PassThrough : RecordSerializer<T>
    {
        public override ReadOnlyMemory<byte> Serialize(T data, string topic, Headers? headers, out bool isNull)
        {
            if (typeof(T) == typeof(byte[]))
            {
                byte[]? bytes = Unsafe.As<T, byte[]?>(ref data);
                isNull = bytes is null;
                return bytes;
            }
            if (typeof(T) == typeof(ReadOnlyMemory<byte>))
            {
                isNull = false;
                return Unsafe.As<T, ReadOnlyMemory<byte>>(ref data);
            }
            if (typeof(T) == typeof(Memory<byte>))
            {
                isNull = false;
                return Unsafe.As<T, Memory<byte>>(ref data);
            }
            isNull = true;
            return default;
        }
    }
}
