using System.Buffers.Binary;
using Gregor.Protocol.Compression;
using static Gregor.Protocol.Tests.Compression.CompressionTestData;

namespace Gregor.Protocol.Tests.Compression;

/// <summary>The shape of what Gregor writes, where the Java client or librdkafka insist on it.</summary>
public class CompressionFormatTests
{
    private static readonly byte[] XerialMagic = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    [Fact]
    public void Lz4_is_one_frame_of_independent_64KB_blocks_without_checksums()
    {
        byte[] input = CompressionTestData.Random(1024 * 1024 + 10, seed: 3);
        byte[] frame = Compress(CompressionType.Lz4, input);

        Assert.Equal(0x184D2204u, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        // FLG: version 01, independent blocks; no block checksum, content size or content checksum.
        Assert.Equal(0x60, frame[4]);
        // BD: 64 KB maximum block size.
        Assert.Equal(0x40, frame[5]);

        int position = 7;
        int blocks = 0;
        while (true)
        {
            uint header = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(position));
            position += 4;
            if (header == 0)
                break;
            int size = (int)(header & 0x7FFFFFFF);
            Assert.InRange(size, 1, 64 * 1024);
            position += size;
            blocks++;
        }
        Assert.Equal(frame.Length, position);
        Assert.Equal(17, blocks);
    }

    [Fact]
    public void Snappy_is_written_in_snappy_java_framing_with_32KB_blocks()
    {
        byte[] input = Compressible(100 * 1024);
        byte[] stream = Compress(CompressionType.Snappy, input);

        Assert.Equal(XerialMagic, stream[..8]);
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(8)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(12)));

        var decodedLengths = new List<int>();
        int position = 16;
        while (position < stream.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(position));
            byte[] block = stream.AsSpan(position + 4, length).ToArray();
            decodedLengths.Add(Decompress(CompressionType.Snappy, block).Length);
            position += 4 + length;
        }
        Assert.Equal(stream.Length, position);
        Assert.Equal([32 * 1024, 32 * 1024, 32 * 1024, 4 * 1024], decodedLengths);
    }

    [Fact]
    public void Snappy_of_nothing_is_the_stream_header_alone_as_snappy_java_writes_it()
    {
        byte[] stream = Compress(CompressionType.Snappy, []);

        Assert.Equal(16, stream.Length);
        Assert.Empty(Decompress(CompressionType.Snappy, stream));
    }

    [Fact]
    public void Zstd_is_one_frame_that_records_its_content_size()
    {
        byte[] frame = Compress(CompressionType.Zstd, FixtureText());

        Assert.Equal(0xFD2FB528u, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        byte descriptor = frame[4];
        bool singleSegment = (descriptor & 0x20) != 0;
        Assert.True((descriptor >> 6) != 0 || singleSegment, "frame header has no content size");
    }

    [Fact]
    public void Gzip_is_a_gzip_member()
    {
        byte[] member = Compress(CompressionType.Gzip, FixtureText());

        Assert.Equal([0x1F, 0x8B, 0x08], member[..3]);
    }

    [Theory]
    [InlineData("none", CompressionType.None)]
    [InlineData("gzip", CompressionType.Gzip)]
    [InlineData("snappy", CompressionType.Snappy)]
    [InlineData("lz4", CompressionType.Lz4)]
    [InlineData("zstd", CompressionType.Zstd)]
    [InlineData("ZSTD", CompressionType.Zstd)]
    public void TryParse_reads_kafka_config_names(string name, CompressionType expected)
    {
        Assert.True(CompressionCodec.TryParse(name, out CompressionType type));
        Assert.Equal(expected, type);
    }

    [Theory]
    [InlineData("")]
    [InlineData("producer")]
    [InlineData("uncompressed")]
    [InlineData("lz4 ")]
    [InlineData("brotli")]
    [InlineData(null)]
    public void TryParse_refuses_other_names(string? name)
    {
        Assert.False(CompressionCodec.TryParse(name!, out _));
    }

    [Fact]
    public void A_missing_native_library_is_named_with_its_package()
    {
        var error = Assert.Throws<DllNotFoundException>(() =>
            NativeCodecLibrary.Load("LZ4", "liblz4-1", "libgregor-absent.so.1"));

        Assert.Contains("libgregor-absent.so.1", error.Message);
        Assert.Contains("apt-get install liblz4-1", error.Message);
    }
}
