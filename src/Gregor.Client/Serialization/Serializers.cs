using System.Buffers.Binary;
using System.Text;

namespace Gregor.Client;

/// <summary>The built-in serializers, in the byte formats Kafka's own (de)serializers use: integers and floats big-endian.</summary>
public static class Serializers
{
    public static ISerializer<string> Utf8 { get; } = new Utf8Serializer();

    /// <summary>Always null; for records without a key (or value).</summary>
    public static ISerializer<Null> Null { get; } = new NullSerializer();

    public static ISerializer<int> Int32 { get; } = new Int32Serializer();

    public static ISerializer<long> Int64 { get; } = new Int64Serializer();

    public static ISerializer<float> Single { get; } = new SingleSerializer();

    public static ISerializer<double> Double { get; } = new DoubleSerializer();

    /// <summary>The bytes as they are (null stays null).</summary>
    public static ISerializer<byte[]> ByteArray { get; } = new ByteArraySerializer();

    private sealed class Utf8Serializer : ISerializer<string>
    {
        public byte[]? Serialize(string data, SerializationContext context) => data is null ? null : Encoding.UTF8.GetBytes(data);
    }

    private sealed class NullSerializer : ISerializer<Null>
    {
        public byte[]? Serialize(Null data, SerializationContext context) => null;
    }

    private sealed class Int32Serializer : ISerializer<int>
    {
        public byte[]? Serialize(int data, SerializationContext context)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(bytes, data);
            return bytes;
        }
    }

    private sealed class Int64Serializer : ISerializer<long>
    {
        public byte[]? Serialize(long data, SerializationContext context)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, data);
            return bytes;
        }
    }

    private sealed class SingleSerializer : ISerializer<float>
    {
        public byte[]? Serialize(float data, SerializationContext context)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteSingleBigEndian(bytes, data);
            return bytes;
        }
    }

    private sealed class DoubleSerializer : ISerializer<double>
    {
        public byte[]? Serialize(double data, SerializationContext context)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteDoubleBigEndian(bytes, data);
            return bytes;
        }
    }

    private sealed class ByteArraySerializer : ISerializer<byte[]>
    {
        public byte[]? Serialize(byte[] data, SerializationContext context) => data;
    }
}
