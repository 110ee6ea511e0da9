using System.Buffers;
using System.Buffers.Binary;
using Gregor.Protocol.Compression;
using static Gregor.Protocol.Tests.Compression.CompressionTestData;

namespace Gregor.Protocol.Tests.Compression;

/// <summary>
/// The project's snappy block codec against independent implementations: IronSnappy (a port of
/// Go's snappy) at test time, and Google's libsnappy through the committed python3-snappy fixtures.
/// </summary>
public class SnappyBlockInteropTests
{
    public static TheoryData<int> Sizes()
    {
        var sizes = new TheoryData<int> { 0, 1 };
        for (int size = 2; size <= 64; size++)
            sizes.Add(size);
        foreach (int size in new[] { 100, 1000, 4095, 32 * 1024, 65535, 65536, 65537, 131072 + 3, 1024 * 1024 })
            sizes.Add(size);
        return sizes;
    }

    /// <summary>Random (incompressible), record-like text, and runs of one byte (overlapping copies).</summary>
    private static IEnumerable<byte[]> Inputs(int size)
    {
        yield return CompressionTestData.Random(size, seed: size);
        yield return Compressible(size);
        yield return new byte[size];
        yield return MixedRecords(size, seed: size);
    }

    /// <summary>Record-like lines with random fields: matches at every distance, literals of every length.</summary>
    private static byte[] MixedRecords(int size, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[size];
        int position = 0;
        while (position < size)
        {
            ReadOnlySpan<byte> line = System.Text.Encoding.ASCII.GetBytes(
                $"{{\"id\":{random.Next(100000)},\"user\":\"u-{random.Next(50):D4}\",\"payload\":\"{new string((char)('a' + random.Next(26)), random.Next(1, 90))}\"}}\n");
            int take = Math.Min(line.Length, size - position);
            line[..take].CopyTo(bytes.AsSpan(position));
            position += take;
        }
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Our_blocks_decode_with_IronSnappy_and_with_ours(int size)
    {
        foreach (byte[] input in Inputs(size))
        {
            byte[] block = CompressBlock(input);

            Assert.True(block.Length <= SnappyBlock.MaxCompressedLength(size));
            Assert.Equal(input, IronSnappy.Snappy.Decode(block));
            Assert.Equal(input, DecompressBlock(block));
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void IronSnappy_blocks_decode_with_ours(int size)
    {
        foreach (byte[] input in Inputs(size))
            Assert.Equal(input, DecompressBlock(IronSnappy.Snappy.Encode(input)));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(100 * 1024)]
    [InlineData(1024 * 1024)]
    public void IronSnappy_blocks_in_snappy_java_framing_and_raw_decode_through_the_codec(int size)
    {
        byte[] input = MixedRecords(size, seed: 11);
        var stream = new List<byte> { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 };
        for (int offset = 0; offset < size; offset += 32 * 1024)
        {
            byte[] block = IronSnappy.Snappy.Encode(input.AsSpan(offset, Math.Min(32 * 1024, size - offset)));
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, block.Length);
            stream.AddRange(length);
            stream.AddRange(block);
        }

        Assert.Equal(input, Decompress(CompressionType.Snappy, stream.ToArray()));
        Assert.Equal(input, Decompress(CompressionType.Snappy, IronSnappy.Snappy.Encode(input)));
    }

    [Fact]
    public void Our_snappy_java_stream_decodes_chunk_by_chunk_with_IronSnappy()
    {
        byte[] input = MixedRecords(200 * 1024, seed: 5);
        byte[] stream = Compress(CompressionType.Snappy, input);

        var decoded = new List<byte>();
        for (int position = 16; position < stream.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(position));
            decoded.AddRange(IronSnappy.Snappy.Decode(stream.AsSpan(position + 4, length)));
            position += 4 + length;
        }
        Assert.Equal(input, decoded);
    }

    [Theory]
    [InlineData("text.snappy-raw")]
    [InlineData("small.snappy-raw")]
    public void Our_blocks_of_the_fixture_texts_match_libsnappy_in_content_and_nearly_in_size(string fixture)
    {
        byte[] plain = fixture.StartsWith("text", StringComparison.Ordinal) ? FixtureText() : FixtureSmall();
        byte[] libsnappy = Fixture(fixture);

        byte[] ours = CompressBlock(plain);

        // The same declared length header as libsnappy wrote, and the same content.
        int header = ours.AsSpan().IndexOfAnyInRange((byte)0, (byte)0x7F) + 1;
        Assert.Equal(libsnappy[..header], ours[..header]);
        Assert.Equal(plain, IronSnappy.Snappy.Decode(ours));
        Assert.Equal(plain, DecompressBlock(ours));
        Assert.Equal(plain, DecompressBlock(libsnappy));
        // Compression no worse than libsnappy's by more than a tenth.
        Assert.True(ours.Length <= libsnappy.Length * 11 / 10, $"ours {ours.Length} bytes, libsnappy {libsnappy.Length}");
    }

    [Fact]
    public void The_committed_libsnappy_blocks_decode_to_the_fixture_text_through_every_path()
    {
        byte[] block = Fixture("text.snappy-raw");
        byte[] plain = FixtureText();

        Assert.Equal(plain.Length, SnappyBlock.ReadDecodedLength(block, out _));
        Assert.Equal(plain, IronSnappy.Snappy.Decode(block));
        Assert.Equal(plain, DecompressBlock(block));
        Assert.Equal(plain, Decompress(CompressionType.Snappy, Fixture("text.snappy-xerial")));
    }

    internal static byte[] CompressBlock(ReadOnlySpan<byte> input)
    {
        byte[] buffer = new byte[SnappyBlock.MaxCompressedLength(input.Length)];
        int length = SnappyBlock.Compress(input, buffer);
        return buffer[..length];
    }

    internal static byte[] DecompressBlock(ReadOnlySpan<byte> block)
    {
        long declared = SnappyBlock.ReadDecodedLength(block, out _);
        byte[] output = new byte[declared];
        Assert.Equal(declared, SnappyBlock.Decompress(block, output));
        return output;
    }
}

/// <summary>
/// What the snappy paths allocate per call once warmed up: nothing. The JIT may allocate on the
/// thread while it recompiles hot methods, so the calls are measured in rounds and one clean
/// round proves it; an allocation per call would show in every round.
/// </summary>
public class SnappyAllocationTests
{
    private const int Rounds = 10;

    [Fact]
    public void Block_compress_and_decompress_allocate_nothing()
    {
        byte[] input = Compressible(1024 * 1024);
        byte[] compressed = new byte[SnappyBlock.MaxCompressedLength(input.Length)];
        byte[] output = new byte[input.Length];

        long fewest = FewestBytesAllocatedInARound(() =>
        {
            int length = SnappyBlock.Compress(input, compressed);
            SnappyBlock.Decompress(compressed.AsSpan(0, length), output);
        });

        Assert.Equal(0, fewest);
        Assert.Equal(input, output);
    }

    [Fact]
    public void Codec_compress_and_decompress_into_reused_writers_allocate_nothing()
    {
        byte[] input = Compressible(1024 * 1024);
        var compressed = new ArrayBufferWriter<byte>(2 * 1024 * 1024);
        var decompressed = new ArrayBufferWriter<byte>(2 * 1024 * 1024);
        byte[] raw = IronSnappy.Snappy.Encode(input);

        long fewest = FewestBytesAllocatedInARound(() =>
        {
            compressed.ResetWrittenCount();
            decompressed.ResetWrittenCount();
            CompressionCodec.Compress(CompressionType.Snappy, input, compressed);
            CompressionCodec.Decompress(CompressionType.Snappy, compressed.WrittenSpan, decompressed, input.Length);
            decompressed.ResetWrittenCount();
            CompressionCodec.Decompress(CompressionType.Snappy, raw, decompressed, input.Length);
        });

        Assert.Equal(0, fewest);
        Assert.Equal(input, decompressed.WrittenSpan.ToArray());
    }

    private static long FewestBytesAllocatedInARound(Action call)
    {
        call();
        long fewest = long.MaxValue;
        for (int round = 0; round < Rounds && fewest > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
                call();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
