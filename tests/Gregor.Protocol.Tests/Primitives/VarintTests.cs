using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Primitives;

public sealed class VarintTests
{
    [Theory]
    [InlineData(0u, "00")]
    [InlineData(1u, "01")]
    [InlineData(127u, "7F")]
    [InlineData(128u, "8001")]
    [InlineData(300u, "AC02")]
    [InlineData(16384u, "808001")]
    [InlineData(uint.MaxValue, "FFFFFFFF0F")]
    public void Unsigned_varints_have_the_leb128_bytes(uint value, string hex)
    {
        Span<byte> buffer = stackalloc byte[5];
        int written = Varint.WriteUnsigned32(buffer, value);
        Assert.Equal(hex, Convert.ToHexString(buffer[..written]));
        Assert.Equal(written, Varint.SizeOfUnsigned32(value));
        Assert.Equal(written, Varint.TryReadUnsigned32(buffer[..written], out uint back));
        Assert.Equal(value, back);
    }

    [Theory]
    [InlineData(0, "00")]
    [InlineData(-1, "01")]
    [InlineData(1, "02")]
    [InlineData(-2, "03")]
    [InlineData(63, "7E")]
    [InlineData(-64, "7F")]
    [InlineData(64, "8001")]
    [InlineData(int.MaxValue, "FEFFFFFF0F")]
    [InlineData(int.MinValue, "FFFFFFFF0F")]
    public void Zigzag_varints_interleave_signs(int value, string hex)
    {
        Span<byte> buffer = stackalloc byte[5];
        int written = Varint.WriteZigZag32(buffer, value);
        Assert.Equal(hex, Convert.ToHexString(buffer[..written]));
        Assert.Equal(written, Varint.TryReadZigZag32(buffer[..written], out int back));
        Assert.Equal(value, back);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(1_700_000_000_000L)]
    public void Zigzag_varlongs_round_trip(long value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int written = Varint.WriteZigZag64(buffer, value);
        Assert.Equal(Varint.SizeOfZigZag64(value), written);
        Assert.Equal(written, Varint.TryReadZigZag64(buffer[..written], out long back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void Truncated_and_overlong_varints_are_told_apart()
    {
        Assert.Equal(0, Varint.TryReadUnsigned32([0x80, 0x80], out _));
        Assert.Equal(-1, Varint.TryReadUnsigned32([0xFF, 0xFF, 0xFF, 0xFF, 0x7F], out _));
        Assert.Equal(-1, Varint.TryReadUnsigned32([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], out _));
        Assert.Equal(-1, Varint.TryReadUnsigned64([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], out _));
    }
}
