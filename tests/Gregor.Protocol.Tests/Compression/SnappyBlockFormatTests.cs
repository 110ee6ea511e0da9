using Gregor.Protocol.Compression;
using static Gregor.Protocol.Tests.Compression.SnappyBlockInteropTests;

namespace Gregor.Protocol.Tests.Compression;

/// <summary>Blocks built by hand from the format description, valid and not.</summary>
public class SnappyBlockFormatTests
{
    [Fact]
    public void Each_element_kind_decodes_as_the_format_describes()
    {
        byte[] block =
        [
            20,                         // decoded length 20
            0x08, (byte)'x', (byte)'a', (byte)'b',   // literal of 3 (tag 2<<2)
            0x01 | (0 << 2), 2,         // copy, 1-byte offset: length 4, offset 2 -> "abab" (overlapping)
            0x02 | (2 << 2), 7, 0,      // copy, 2-byte offset: length 3, offset 7 -> "xab"
            0x03 | (4 << 2), 10, 0, 0, 0, // copy, 4-byte offset: length 5, offset 10 -> "xabab" from position 0
            0x10, (byte)'!', (byte)'?', (byte)'.', (byte)'.', (byte)'.', // literal of 5
        ];

        Assert.Equal("xabababxabxabab!?..."u8.ToArray(), DecompressBlock(block));
    }

    [Theory]
    [InlineData(60, 1, 200)]
    [InlineData(61, 2, 300)]
    [InlineData(62, 3, 300)]
    [InlineData(63, 4, 300)]
    public void Long_literal_lengths_follow_the_tag_in_1_to_4_bytes(int tagLength, int lengthBytes, int literalLength)
    {
        var block = new List<byte>();
        for (int rest = literalLength; ; rest >>= 7)
        {
            block.Add((byte)(rest < 0x80 ? rest : (rest & 0x7F) | 0x80));
            if (rest < 0x80)
                break;
        }
        block.Add((byte)(tagLength << 2));
        for (int i = 0; i < lengthBytes; i++)
            block.Add((byte)((literalLength - 1) >> (8 * i)));
        byte[] literal = CompressionTestData.Random(literalLength, seed: 1);
        block.AddRange(literal);

        Assert.Equal(literal, DecompressBlock(block.ToArray()));
        Assert.Equal(literal, IronSnappy.Snappy.Decode(block.ToArray()));
    }

    [Fact]
    public void A_one_byte_run_becomes_an_overlapping_copy_and_decodes_back()
    {
        byte[] input = new byte[10_000];
        input.AsSpan().Fill(0x5A);

        byte[] block = CompressBlock(input);

        Assert.True(block.Length < 600, $"{block.Length} bytes");
        Assert.Equal(input, DecompressBlock(block));
    }

    [Fact]
    public void An_empty_block_is_a_zero_length_header()
    {
        Assert.Equal([0], CompressBlock([]));
        Assert.Empty(DecompressBlock([0]));
    }

    [Fact]
    public void Decoding_never_writes_past_the_declared_length()
    {
        byte[] input = CompressionTestData.Random(5000, seed: 9);
        byte[] block = CompressBlock(input);
        byte[] destination = new byte[6000];
        destination.AsSpan().Fill(0xEE);

        Assert.Equal(5000, SnappyBlock.Decompress(block, destination));

        Assert.Equal(input, destination[..5000]);
        Assert.All(destination[5000..], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void A_destination_shorter_than_the_declared_length_is_a_caller_error()
    {
        byte[] block = CompressBlock(new byte[100]);

        Assert.Throws<ArgumentException>(() => SnappyBlock.Decompress(block, new byte[99]));
    }

    [Fact]
    public void A_destination_shorter_than_the_bound_is_a_caller_error()
    {
        byte[] input = new byte[100];

        Assert.Throws<ArgumentException>(() => SnappyBlock.Compress(input, new byte[SnappyBlock.MaxCompressedLength(100) - 1]));
    }

    public static TheoryData<string, byte[]> CorruptBlocks() => new()
    {
        { "header truncated", [0x80] },
        { "header over 5 bytes", [0x80, 0x80, 0x80, 0x80, 0x80, 0x01] },
        { "header over 32 bits", [0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0x00] },
        { "claims more than the elements can hold", [100, 0x0A, 1] },
        { "starts with a copy", [4, 0x01, 1] },
        { "copy offset 0", [8, 0x0C, 1, 2, 3, 4, 0x01, 0] },
        { "copy offset before the start", [8, 0x0C, 1, 2, 3, 4, 0x02 | (3 << 2), 5, 0] },
        { "copy 4-byte offset huge", [8, 0x0C, 1, 2, 3, 4, 0x03 | (3 << 2), 0xFF, 0xFF, 0xFF, 0xFF] },
        { "copy past the declared length", [8, 0x0C, 1, 2, 3, 4, 0x02 | (4 << 2), 4, 0] },
        { "literal past the declared length", [2, 0x08, 1, 2, 3] },
        { "literal past the input", [4, 0x0C, 1, 2] },
        { "literal length bytes past the input", [4, 0xF4, 3] },
        { "long literal length near 2^32", [4, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4] },
        { "copy offset bytes past the input", [8, 0x0C, 1, 2, 3, 4, 0x02, 1] },
        { "1-byte copy offset past the input", [8, 0x0C, 1, 2, 3, 4, 0x01] },
        { "4-byte copy offset past the input", [8, 0x0C, 1, 2, 3, 4, 0x03, 1, 0, 0] },
        { "decodes shorter than declared", [6, 0x0C, 1, 2, 3, 4] },
        { "empty body with a nonzero length", [1] },
        { "no bytes at all", [] },
    };

    [Theory]
    [MemberData(nameof(CorruptBlocks))]
    public void A_corrupt_block_is_invalid_data_and_IronSnappy_agrees(string problem, byte[] block)
    {
        // The problem names the case in the test's display.
        _ = problem;

        var error = Assert.Throws<InvalidDataException>(() => DecodeWhateverItClaims(block));

        Assert.StartsWith("snappy:", error.Message);
        Assert.ThrowsAny<Exception>(() => IronSnappy.Snappy.Decode(block));
    }

    [Fact]
    public void A_few_bytes_claiming_gigabytes_are_refused_before_any_buffer_is_sized()
    {
        byte[] block = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x41];

        var error = Assert.Throws<InvalidDataException>(() => SnappyBlock.ReadDecodedLength(block, out _));

        Assert.Contains("more than its 2 bytes", error.Message);
    }

    /// <summary>Decodes into a destination of exactly the declared size, so only the block itself can be at fault.</summary>
    internal static void DecodeWhateverItClaims(ReadOnlySpan<byte> block)
    {
        long declared = SnappyBlock.ReadDecodedLength(block, out _);
        SnappyBlock.Decompress(block, new byte[declared]);
    }
}
