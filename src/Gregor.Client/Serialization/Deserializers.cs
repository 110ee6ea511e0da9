using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Gregor.Client;

/// <summary>The built-in deserializers, matching <see cref="Serializers"/>. A wrong length is an ArgumentException naming it.</summary>
public static class Deserializers
{
    public static IDeserializer<string> Utf8 { get; } = new Utf8Deserializer();

    /// <summary>Accepts only null; anything else is an error.</summary>
    public static IDeserializer<Null> Null { get; } = new NullDeserializer();

    /// <summary>Skips the bytes and returns null.</summary>
    public static IDeserializer<Ignore> Ignore { get; } = new IgnoreDeserializer();

    public static IDeserializer<int> Int32 { get; } = new Int32Deserializer();

    public static IDeserializer<long> Int64 { get; } = new Int64Deserializer();

    public static IDeserializer<float> Single { get; } = new SingleDeserializer();

    public static IDeserializer<double> Double { get; } = new DoubleDeserializer();

    public static IDeserializer<byte[]> ByteArray { get; } = new ByteArrayDeserializer();

    private static void RequireLength(ReadOnlySpan<byte> data, bool isNull, int length, string type)
    {
        if (isNull)
            throw new ArgumentException($"Deserializer<{type}> cannot deserialize null data.", nameof(data));
        if (data.Length != length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Deserializer<{type}> got {data.Length} bytes; it needs exactly {length}."),
                nameof(data));
        }
    }

    private sealed class Utf8Deserializer : IDeserializer<string>
    {
        public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            isNull ? null! : Encoding.UTF8.GetString(data);
    }

    private sealed class NullDeserializer : IDeserializer<Null>
    {
        public Null Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            isNull ? null! : throw new ArgumentException("Deserializer<Null> got data that is not null.", nameof(data));
    }

    private sealed class IgnoreDeserializer : IDeserializer<Ignore>
    {
        public Ignore Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => null!;
    }

    private sealed class Int32Deserializer : IDeserializer<int>
    {
        public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            RequireLength(data, isNull, 4, "Int32");
            return BinaryPrimitives.ReadInt32BigEndian(data);
        }
    }

    private sealed class Int64Deserializer : IDeserializer<long>
    {
        public long Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            RequireLength(data, isNull, 8, "Int64");
            return BinaryPrimitives.ReadInt64BigEndian(data);
        }
    }

    private sealed class SingleDeserializer : IDeserializer<float>
    {
        public float Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            RequireLength(data, isNull, 4, "Single");
            return BinaryPrimitives.ReadSingleBigEndian(data);
        }
    }

    private sealed class DoubleDeserializer : IDeserializer<double>
    {
        public double Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            RequireLength(data, isNull, 8, "Double");
            return BinaryPrimitives.ReadDoubleBigEndian(data);
        }
    }

    private sealed class ByteArrayDeserializer : IDeserializer<byte[]>
    {
        public byte[] Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            isNull ? null! : data.ToArray();
    }
}
