using System.Buffers;
using Gregor.Protocol.Compression;
using static Gregor.Protocol.Tests.Compression.CompressionTestData;

namespace Gregor.Protocol.Tests.Compression;

public class CompressionRoundTripTests
{
    public static TheoryData<CompressionType, string> Cases()
    {
        var cases = new TheoryData<CompressionType, string>();
        foreach (CompressionType type in AllTypes)
        {
            foreach (string input in new[] { "empty", "small", "random-1MB", "compressible-1MB" })
                cases.Add(type, input);
        }
        return cases;
    }

    private static byte[] Input(string name) => name switch
    {
        "empty" => [],
        "small" => "a short record value"u8.ToArray(),
        "random-1MB" => CompressionTestData.Random(1024 * 1024, seed: 7),
        "compressible-1MB" => Compressible(1024 * 1024),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decompress_gives_back_what_was_compressed(CompressionType type, string inputName)
    {
        byte[] input = Input(inputName);

        byte[] compressed = Compress(type, input);
        byte[] output = Decompress(type, compressed, maxDecompressedBytes: input.Length);

        Assert.Equal(input, output);
        if (inputName == "compressible-1MB" && type != CompressionType.None)
            Assert.True(compressed.Length < input.Length / 10, $"{type} made {compressed.Length} bytes of {input.Length}");
    }

    [Theory]
    [InlineData(CompressionType.Gzip, -1)]
    [InlineData(CompressionType.Gzip, 1)]
    [InlineData(CompressionType.Gzip, 9)]
    [InlineData(CompressionType.Lz4, 1)]
    [InlineData(CompressionType.Lz4, 9)]
    [InlineData(CompressionType.Lz4, 12)]
    [InlineData(CompressionType.Lz4, 17)]
    [InlineData(CompressionType.Zstd, -5)]
    [InlineData(CompressionType.Zstd, 1)]
    [InlineData(CompressionType.Zstd, 19)]
    public void Every_kafka_level_round_trips(CompressionType type, int level)
    {
        byte[] input = FixtureText();

        byte[] output = Decompress(type, Compress(type, input, level));

        Assert.Equal(input, output);
    }

    [Fact]
    public void The_level_reaches_the_codec()
    {
        byte[] input = FixtureText();

        Assert.True(Compress(CompressionType.Gzip, input, 9).Length < Compress(CompressionType.Gzip, input, 1).Length);
        Assert.True(Compress(CompressionType.Lz4, input, 12).Length < Compress(CompressionType.Lz4, input).Length);
        // Higher zstd levels are not always smaller on this text, only different.
        Assert.NotEqual(Compress(CompressionType.Zstd, input, 19), Compress(CompressionType.Zstd, input, 1));
        Assert.Equal(Compress(CompressionType.Zstd, input, 3), Compress(CompressionType.Zstd, input));
    }

    [Theory]
    [InlineData(CompressionType.Gzip, 0)]
    [InlineData(CompressionType.Gzip, 10)]
    [InlineData(CompressionType.Lz4, 0)]
    [InlineData(CompressionType.Lz4, 18)]
    [InlineData(CompressionType.Zstd, 23)]
    [InlineData(CompressionType.Zstd, -131073)]
    public void Levels_outside_kafkas_range_are_refused(CompressionType type, int level)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Compress(type, "x"u8, level));
    }

    [Fact]
    public void Compress_appends_after_what_the_destination_already_holds()
    {
        foreach (CompressionType type in AllTypes)
        {
            var writer = new ArrayBufferWriter<byte>();
            writer.Write("header"u8);
            CompressionCodec.Compress(type, "payload"u8, writer);

            Assert.True(writer.WrittenSpan.StartsWith("header"u8));
            Assert.Equal("payload"u8.ToArray(), Decompress(type, writer.WrittenSpan[6..]));
        }
    }

    [Fact]
    public void Codecs_work_from_many_threads_at_once()
    {
        byte[][] inputs = Enumerable.Range(0, 8).Select(i => CompressionTestData.Random(100_000 + i * 1000, seed: i)).ToArray();

        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            CompressionType type = CompressedTypes[i % CompressedTypes.Length];
            byte[] input = inputs[i % inputs.Length];
            Assert.Equal(input, Decompress(type, Compress(type, input)));
        });
    }

    [Theory]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void A_destination_that_decompresses_while_being_written_gets_correct_results(CompressionType type)
    {
        // The writer runs a nested decompression on the same thread, which must not share the
        // outer call's native context.
        byte[] inner = Compress(type, "inner"u8);
        byte[] outerInput = Compressible(300_000);
        var writer = new NestingBufferWriter(() => Assert.Equal("inner"u8.ToArray(), Decompress(type, inner)));

        CompressionCodec.Decompress(type, Compress(type, outerInput), writer, outerInput.Length);

        Assert.Equal(outerInput, writer.WrittenSpan.ToArray());
        Assert.True(writer.NestedCalls > 1);
    }

    private sealed class NestingBufferWriter(Action nested) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> inner = new();

        public int NestedCalls { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => inner.WrittenSpan;

        public void Advance(int count) => inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            nested();
            NestedCalls++;
            return inner.GetSpan(sizeHint);
        }
    }
}
