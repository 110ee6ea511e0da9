using Gregor.Protocol.Compression;
using static Gregor.Protocol.Tests.Compression.CompressionTestData;

namespace Gregor.Protocol.Tests.Compression;

/// <summary>Decoding what other implementations wrote (see Fixtures/README.md).</summary>
public class CompressionFixtureTests
{
    [Theory]
    [InlineData(CompressionType.Gzip, "text.gz")]
    [InlineData(CompressionType.Lz4, "text.lz4")]
    [InlineData(CompressionType.Lz4, "text-b4-linked.lz4")]
    [InlineData(CompressionType.Lz4, "text-b5-blockchecksum-size.lz4")]
    [InlineData(CompressionType.Zstd, "text.zst")]
    [InlineData(CompressionType.Zstd, "text-stream.zst")]
    [InlineData(CompressionType.Snappy, "text.snappy-raw")]
    [InlineData(CompressionType.Snappy, "text.snappy-xerial")]
    public void Decodes_the_text_fixture(CompressionType type, string fixture)
    {
        Assert.Equal(FixtureText(), Decompress(type, Fixture(fixture)));
    }

    [Theory]
    [InlineData(CompressionType.Gzip, "small.gz")]
    [InlineData(CompressionType.Lz4, "small.lz4")]
    [InlineData(CompressionType.Zstd, "small.zst")]
    [InlineData(CompressionType.Snappy, "small.snappy-raw")]
    [InlineData(CompressionType.Snappy, "small.snappy-xerial")]
    public void Decodes_the_small_fixture(CompressionType type, string fixture)
    {
        Assert.Equal(FixtureSmall(), Decompress(type, Fixture(fixture)));
    }

    [Theory]
    [InlineData(CompressionType.Gzip, "text-then-small.gz")]
    [InlineData(CompressionType.Lz4, "text-then-small.lz4")]
    [InlineData(CompressionType.Zstd, "text-then-small.zst")]
    public void Decodes_concatenated_frames(CompressionType type, string fixture)
    {
        Assert.Equal([.. FixtureText(), .. FixtureSmall()], Decompress(type, Fixture(fixture)));
    }

    [Theory]
    [InlineData(CompressionType.Lz4, "small.lz4")]
    [InlineData(CompressionType.Zstd, "small.zst")]
    [InlineData(CompressionType.Gzip, "small.gz")]
    public void Decodes_its_own_frame_followed_by_a_foreign_one(CompressionType type, string fixture)
    {
        byte[] ours = Compress(type, FixtureText());

        Assert.Equal([.. FixtureText(), .. FixtureSmall()], Decompress(type, [.. ours, .. Fixture(fixture)]));
    }

    [Fact]
    public void Decodes_concatenated_xerial_streams_as_snappy_java_does()
    {
        byte[] stream = [.. Fixture("text.snappy-xerial"), .. Fixture("small.snappy-xerial")];

        Assert.Equal([.. FixtureText(), .. FixtureSmall()], Decompress(CompressionType.Snappy, stream));
    }

    [Fact]
    public void The_snappy_fixtures_really_are_raw_and_framed()
    {
        byte[] magic = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

        Assert.True(Fixture("text.snappy-xerial").AsSpan().StartsWith(magic));
        Assert.False(Fixture("text.snappy-raw").AsSpan().StartsWith(magic));
    }
}
