using Gregor.Protocol.Compression;
using static Gregor.Protocol.Tests.Compression.CompressionTestData;

namespace Gregor.Protocol.Tests.Compression;

/// <summary>Bad input: decompression bombs, truncation, corruption. Each must end in InvalidDataException.</summary>
public class CompressionGuardTests
{
    public static TheoryData<CompressionType> Compressed() => new(CompressedTypes);

    public static TheoryData<CompressionType> All() => new(AllTypes);

    [Theory]
    [MemberData(nameof(All))]
    public void Output_one_byte_over_the_limit_is_refused_before_the_destination_grows_past_it(CompressionType type)
    {
        byte[] input = new byte[1024 * 1024];
        byte[] compressed = Compress(type, input);
        int limit = input.Length - 1;
        var writer = new MeasuringBufferWriter();

        var error = Assert.Throws<InvalidDataException>(() => CompressionCodec.Decompress(type, compressed, writer, limit));

        Assert.Contains("exceeds the limit", error.Message);
        Assert.True(writer.LargestReach <= limit + 1, $"destination asked to reach {writer.LargestReach}");
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Output_exactly_at_the_limit_is_accepted(CompressionType type)
    {
        byte[] input = Compressible(1024 * 1024);

        Assert.Equal(input, Decompress(type, Compress(type, input), maxDecompressedBytes: input.Length));
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void Output_ending_on_a_chunk_boundary_at_the_limit_is_accepted(CompressionType type)
    {
        // The decoders write in 64 KiB pieces; these sizes end just before, on and after a piece.
        foreach (int size in new[] { 65535, 65536, 65537, 131072 })
        {
            byte[] input = CompressionTestData.Random(size, seed: size);
            Assert.Equal(input, Decompress(type, Compress(type, input), maxDecompressedBytes: size));
            Assert.Throws<InvalidDataException>(() => Decompress(type, Compress(type, input), maxDecompressedBytes: size - 1));
        }
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void A_small_input_that_expands_hugely_stops_at_the_limit(CompressionType type)
    {
        byte[] bomb = Compress(type, new byte[64 * 1024 * 1024]);
        const int limit = 1024 * 1024;
        var writer = new MeasuringBufferWriter();

        Assert.Throws<InvalidDataException>(() => CompressionCodec.Decompress(type, bomb, writer, limit));

        Assert.True(writer.LargestReach <= limit + 1, $"destination asked to reach {writer.LargestReach}");
    }

    [Fact]
    public void A_snappy_block_claiming_two_gigabytes_is_refused_without_decoding()
    {
        byte[] block = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x41];
        var writer = new MeasuringBufferWriter();

        var error = Assert.Throws<InvalidDataException>(() => CompressionCodec.Decompress(CompressionType.Snappy, block, writer, 1 << 20));

        Assert.Contains("exceeds the limit", error.Message);
        Assert.Equal(0, writer.LargestReach);
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void Truncated_input_is_invalid_data(CompressionType type)
    {
        byte[] compressed = Compress(type, FixtureText());

        foreach (int length in new[] { 1, 5, 12, compressed.Length / 2, compressed.Length - 4, compressed.Length - 1 })
            Assert.Throws<InvalidDataException>(() => Decompress(type, compressed.AsSpan(0, length)));
    }

    [Theory]
    [InlineData(CompressionType.Gzip, "text.gz")]
    [InlineData(CompressionType.Gzip, "text-then-small.gz")]
    [InlineData(CompressionType.Lz4, "text.lz4")]
    [InlineData(CompressionType.Lz4, "text-b4-linked.lz4")]
    [InlineData(CompressionType.Lz4, "text-then-small.lz4")]
    [InlineData(CompressionType.Zstd, "text.zst")]
    [InlineData(CompressionType.Zstd, "text-stream.zst")]
    [InlineData(CompressionType.Zstd, "text-then-small.zst")]
    [InlineData(CompressionType.Snappy, "text.snappy-xerial")]
    [InlineData(CompressionType.Snappy, "text.snappy-raw")]
    public void Truncated_fixtures_are_invalid_data(CompressionType type, string fixture)
    {
        byte[] compressed = Fixture(fixture);

        foreach (int length in new[] { 3, compressed.Length / 3, compressed.Length - 1 })
            Assert.Throws<InvalidDataException>(() => Decompress(type, compressed.AsSpan(0, length)));
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void Empty_input_is_invalid_data(CompressionType type)
    {
        Assert.Throws<InvalidDataException>(() => Decompress(type, []));
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void Random_bytes_are_invalid_data(CompressionType type)
    {
        for (int seed = 0; seed < 20; seed++)
            Assert.Throws<InvalidDataException>(() => Decompress(type, CompressionTestData.Random(1000, seed)));
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void A_damaged_first_byte_is_invalid_data(CompressionType type)
    {
        byte[] compressed = Compress(type, FixtureText());
        compressed[0] ^= 0x55;

        Assert.Throws<InvalidDataException>(() => Decompress(type, compressed));
    }

    [Theory]
    [InlineData(CompressionType.Gzip, "text.gz")]
    [InlineData(CompressionType.Lz4, "text.lz4")]
    [InlineData(CompressionType.Lz4, "text-b5-blockchecksum-size.lz4")]
    [InlineData(CompressionType.Zstd, "text.zst")]
    public void A_flipped_bit_in_checksummed_data_is_invalid_data(CompressionType type, string fixture)
    {
        byte[] compressed = Fixture(fixture);
        compressed[compressed.Length / 2] ^= 0x10;

        Assert.Throws<InvalidDataException>(() => Decompress(type, compressed));
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void Bytes_after_the_last_frame_are_invalid_data(CompressionType type)
    {
        byte[] compressed = [.. Compress(type, FixtureText()), 0x01, 0x02, 0x03];

        Assert.Throws<InvalidDataException>(() => Decompress(type, compressed));
    }

    [Fact]
    public void Bytes_after_a_raw_snappy_block_are_invalid_data()
    {
        byte[] compressed = [.. Fixture("small.snappy-raw"), 0x00];

        Assert.Throws<InvalidDataException>(() => Decompress(CompressionType.Snappy, compressed));
    }

    [Theory]
    [InlineData(CompressionType.Gzip, null)]
    [InlineData(CompressionType.Snappy, null)]
    [InlineData(CompressionType.Snappy, "text.snappy-raw")]
    [InlineData(CompressionType.Lz4, null)]
    [InlineData(CompressionType.Lz4, "text-b5-blockchecksum-size.lz4")]
    [InlineData(CompressionType.Zstd, null)]
    [InlineData(CompressionType.Zstd, "text-stream.zst")]
    public void Randomly_damaged_input_decodes_or_is_invalid_data_never_anything_else(CompressionType type, string? fixture)
    {
        byte[] original = fixture is null ? Compress(type, FixtureText()) : Fixture(fixture);
        var random = new Random(1234);
        for (int i = 0; i < Iterations; i++)
        {
            byte[] damaged = (byte[])original.Clone();
            int flips = random.Next(1, 5);
            for (int f = 0; f < flips; f++)
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            int length = random.Next(4) == 0 ? random.Next(damaged.Length) : damaged.Length;

            Exception? error = Record.Exception(() => Decompress(type, damaged.AsSpan(0, length), maxDecompressedBytes: 1 << 20));

            if (error is not null and not InvalidDataException)
                Assert.Fail($"iteration {i}: {error.GetType().Name}: {error.Message}");
        }
    }

    private const int Iterations = 400;

    [Fact]
    public void An_undefined_compression_type_is_invalid_data()
    {
        var error = Assert.Throws<InvalidDataException>(() => Decompress((CompressionType)5, "x"u8));

        Assert.Contains("5", error.Message);
    }

    [Fact]
    public void Compressing_with_an_undefined_type_is_an_argument_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Compress((CompressionType)7, "x"u8));
    }

    [Fact]
    public void A_negative_limit_is_an_argument_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Decompress(CompressionType.Gzip, Fixture("small.gz"), maxDecompressedBytes: -1));
    }
}
