using System.Diagnostics;
using Gregor.Protocol.Compression;
using static Gregor.Protocol.Tests.Compression.SnappyBlockInteropTests;

namespace Gregor.Protocol.Tests.Compression;

/// <summary>
/// Damaged blocks: the decoder must either decode exactly what IronSnappy decodes or throw
/// <see cref="InvalidDataException"/> where IronSnappy also refuses — never another exception,
/// never a write outside the declared length.
/// </summary>
public class SnappyBlockFuzzTests
{
    private const int Rounds = 30_000;

    /// <summary>IronSnappy allocates whatever a header claims; past this it is not asked.</summary>
    private const long LargestClaimForIronSnappy = 1 << 20;

    [Fact]
    public void Damaged_blocks_decode_as_IronSnappy_decodes_them_or_are_invalid_data()
    {
        var random = new Random(20240611);
        byte[][] seeds = Seeds(random);
        int decoded = 0;
        int refused = 0;
        var clock = Stopwatch.StartNew();

        for (int round = 0; round < Rounds; round++)
        {
            byte[] block = Damage(seeds[random.Next(seeds.Length)], random);

            byte[]? ours = null;
            Exception? ourError = null;
            try
            {
                ours = DecodeGuarded(block);
            }
            catch (Exception e)
            {
                ourError = e;
            }
            if (ourError is not null and not InvalidDataException)
                Assert.Fail($"round {round}: {ourError.GetType().Name}: {ourError.Message}\nblock: {Convert.ToHexString(block)}");

            if (RawClaim(block) is long claim && claim <= LargestClaimForIronSnappy)
            {
                byte[]? theirs = null;
                try
                {
                    theirs = IronSnappy.Snappy.Decode(block);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // IronSnappy refuses; so must we.
                }
                if ((ours is null) != (theirs is null))
                    Assert.Fail($"round {round}: ours {(ours is null ? ourError!.Message : "decoded")}, IronSnappy {(theirs is null ? "refused" : "decoded")}\nblock: {Convert.ToHexString(block)}");
                if (ours is not null)
                    Assert.Equal(theirs, ours);
            }

            if (ours is null)
                refused++;
            else
                decoded++;
        }

        // Both outcomes must really have been exercised, in bounded time.
        Assert.True(decoded > Rounds / 100, $"only {decoded} damaged blocks decoded");
        Assert.True(refused > Rounds / 2, $"only {refused} damaged blocks refused");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{Rounds} rounds took {clock.Elapsed}");
    }

    [Fact]
    public void Random_bytes_behind_a_plausible_header_are_invalid_data_or_decode_exactly()
    {
        var random = new Random(77);
        for (int round = 0; round < Rounds; round++)
        {
            byte[] body = new byte[random.Next(1, 64)];
            random.NextBytes(body);
            // A small declared length, so random elements have a real chance of filling it.
            byte[] block = [(byte)random.Next(0, 128), .. body];

            Exception? error = Record.Exception(() => DecodeGuarded(block));

            if (error is not null and not InvalidDataException)
                Assert.Fail($"round {round}: {error.GetType().Name}: {error.Message}\nblock: {Convert.ToHexString(block)}");
        }
    }

    /// <summary>Decodes into a buffer with guard bytes after the declared length, and checks they survive.</summary>
    private static byte[] DecodeGuarded(byte[] block)
    {
        const int guard = 64;
        long declared = SnappyBlock.ReadDecodedLength(block, out _);
        byte[] destination = new byte[declared + guard];
        destination.AsSpan().Fill(0xA5);
        int length = SnappyBlock.Decompress(block, destination);
        Assert.Equal(declared, length);
        Assert.True(destination.AsSpan(length).IndexOfAnyExcept((byte)0xA5) < 0, "decoder wrote past the declared length");
        return destination[..length];
    }

    /// <summary>The header's value with no plausibility check, or null if it is not a well-formed varint.</summary>
    private static long? RawClaim(byte[] block)
    {
        long value = 0;
        for (int i = 0; i < 5 && i < block.Length; i++)
        {
            value |= (long)(block[i] & 0x7F) << (7 * i);
            if (block[i] < 0x80)
                return value;
        }
        return null;
    }

    private static byte[][] Seeds(Random random)
    {
        var seeds = new List<byte[]>();
        foreach (int size in new[] { 1, 7, 30, 61, 100, 300, 1000, 3000, 9000 })
        {
            byte[] text = new byte[size];
            for (int i = 0; i < size; i++)
                text[i] = (byte)"record key=value;"[(i * 7 + random.Next(3)) % 17];
            byte[] noise = CompressionTestData.Random(size, seed: size);
            byte[] run = new byte[size];
            seeds.Add(CompressBlock(text));
            seeds.Add(CompressBlock(noise));
            seeds.Add(CompressBlock(run));
            seeds.Add(IronSnappy.Snappy.Encode(text));
            seeds.Add(IronSnappy.Snappy.Encode(run));
        }
        return [.. seeds];
    }

    private static byte[] Damage(byte[] original, Random random)
    {
        var block = new List<byte>(original);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && block.Count > 0; e++)
        {
            int at = random.Next(block.Count);
            switch (random.Next(6))
            {
                case 0:
                    block[at] = (byte)random.Next(256);
                    break;
                case 1:
                    block[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    block.RemoveRange(at, Math.Min(random.Next(1, 8), block.Count - at));
                    break;
                case 3:
                    block.Insert(at, (byte)random.Next(256));
                    break;
                case 4:
                    block.RemoveRange(at, block.Count - at);
                    break;
                default:
                    // A tag with a random kind and length where a literal byte or tag was.
                    block[at] = (byte)((random.Next(64) << 2) | random.Next(4));
                    break;
            }
        }
        return [.. block];
    }
}
