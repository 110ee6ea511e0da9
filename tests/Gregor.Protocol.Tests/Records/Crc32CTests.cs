using System.Text;
using Gregor.Protocol.Records;

namespace Gregor.Protocol.Tests.Records;

/// <summary>The three-way hardware CRC32C against the bitwise definition, across lengths, offsets and block boundaries.</summary>
public class Crc32CTests
{
    [Fact]
    public void Matches_the_standard_check_value()
    {
        // The catalogue check value of CRC-32C: the CRC of the ASCII digits 1 to 9.
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Matches_the_bitwise_definition_for_every_length_and_offset_around_the_block_sizes()
    {
        var random = new Random(3);
        byte[] data = new byte[3 * 8192 * 2 + 3 * 1024 + 3 * 128 + 64];
        random.NextBytes(data);
        var lengths = new List<int>();
        for (int length = 0; length < 1200; length++)
            lengths.Add(length);
        foreach (int block in new[] { 128, 1024, 8192 })
        {
            for (int delta = -9; delta <= 9; delta++)
            {
                lengths.Add(3 * block + delta);
                lengths.Add(6 * block + delta);
            }
        }
        lengths.Add(data.Length - 7);
        foreach (int length in lengths)
        {
            foreach (int offset in new[] { 0, 1, 3, 7 })
            {
                ReadOnlySpan<byte> slice = data.AsSpan(offset, length);
                Assert.True(SpecBytes.Crc32C(slice) == Crc32C.Compute(slice), $"length {length} at offset {offset}");
            }
        }
    }

    [Fact]
    public void Appending_in_pieces_gives_the_crc_of_the_whole()
    {
        byte[] data = new byte[50_000];
        new Random(4).NextBytes(data);
        uint whole = Crc32C.Compute(data);
        foreach (int cut in new[] { 1, 383, 384, 3072, 24_576, 49_999 })
            Assert.Equal(whole, ~Crc32C.Append(Crc32C.Append(~0u, data.AsSpan(0, cut)), data.AsSpan(cut)));
    }
}
