using System.Text;
using Gregor.Client.Serdes;
using Google.Protobuf.WellKnownTypes;

namespace Gregor.Client.Tests;

public sealed class SerializerTests
{
    private static readonly SerializationContext Value = new(MessageComponentType.Value, "t");

    [Fact]
    public void Integers_are_big_endian_as_kafkas_serializers_write_them()
    {
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x04 }, Serializers.Int32.Serialize(0x01020304, Value));
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFE }, Serializers.Int32.Serialize(-2, Value));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0x01, 0x00 }, Serializers.Int64.Serialize(256, Value));
        // IEEE 754 1.0 is 0x3FF0000000000000.
        Assert.Equal(new byte[] { 0x3F, 0xF0, 0, 0, 0, 0, 0, 0 }, Serializers.Double.Serialize(1.0, Value));
        Assert.Equal(new byte[] { 0x3F, 0x80, 0, 0 }, Serializers.Single.Serialize(1.0f, Value));
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(123456789)]
    public void Int32_round_trips(int value) =>
        Assert.Equal(value, Deserializers.Int32.Deserialize(Serializers.Int32.Serialize(value, Value), false, Value));

    [Fact]
    public void Int64_and_double_round_trip()
    {
        Assert.Equal(long.MinValue, Deserializers.Int64.Deserialize(Serializers.Int64.Serialize(long.MinValue, Value), false, Value));
        Assert.Equal(Math.PI, Deserializers.Double.Deserialize(Serializers.Double.Serialize(Math.PI, Value), false, Value));
    }

    [Fact]
    public void Wrong_length_is_an_argument_error_naming_the_lengths()
    {
        var e = Assert.Throws<ArgumentException>(() => Deserializers.Int32.Deserialize(new byte[3], false, Value));
        Assert.Contains("3 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("exactly 4", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Deserializers.Int64.Deserialize(ReadOnlySpan<byte>.Empty, true, Value));
    }

    [Fact]
    public void Utf8_and_null_and_bytes()
    {
        Assert.Equal("hé", Deserializers.Utf8.Deserialize(Serializers.Utf8.Serialize("hé", Value), false, Value));
        Assert.Equal(new byte[] { 0x68, 0xC3, 0xA9 }, Serializers.Utf8.Serialize("hé", Value));
        Assert.Null(Serializers.Utf8.Serialize(null!, Value));
        Assert.Null(Deserializers.Utf8.Deserialize([], true, Value));
        Assert.Equal("", Deserializers.Utf8.Deserialize([], false, Value));
        Assert.Null(Serializers.Null.Serialize(null!, Value));
        Assert.Throws<ArgumentException>(() => Deserializers.Null.Deserialize(new byte[1], false, Value));
        Assert.Null(Deserializers.Ignore.Deserialize(new byte[5], false, Value));
        Assert.Equal(new byte[] { 9, 8 }, Deserializers.ByteArray.Deserialize(new byte[] { 9, 8 }, false, Value));
    }

    private sealed record Order(string Id, int Quantity);

    [Fact]
    public void Json_round_trips_and_null_stays_null()
    {
        var serializer = new JsonSerializer<Order>();
        var deserializer = new JsonDeserializer<Order>();
        byte[] bytes = serializer.Serialize(new Order("a1", 3), Value)!;
        Assert.Equal("{\"Id\":\"a1\",\"Quantity\":3}", Encoding.UTF8.GetString(bytes));
        Assert.Equal(new Order("a1", 3), deserializer.Deserialize(bytes, false, Value));
        Assert.Null(serializer.Serialize(null!, Value));
        Assert.Null(deserializer.Deserialize([], true, Value));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => deserializer.Deserialize("{oops"u8, false, Value));
    }

    [Fact]
    public void Protobuf_round_trips_a_message()
    {
        var message = new Duration { Seconds = 150, Nanos = 7 };
        byte[] bytes = new ProtobufSerializer<Duration>().Serialize(message, Value)!;
        // field 1 varint 150 = 08 96 01; field 2 varint 7 = 10 07
        Assert.Equal(new byte[] { 0x08, 0x96, 0x01, 0x10, 0x07 }, bytes);
        Assert.Equal(message, new ProtobufDeserializer<Duration>().Deserialize(bytes, false, Value));
        Assert.Throws<Google.Protobuf.InvalidProtocolBufferException>(() =>
            new ProtobufDeserializer<Duration>().Deserialize(new byte[] { 0x08 }, false, Value));
    }
}
