using System.Buffers.Binary;

namespace ConfluentInterop;

/// <summary>
/// The Java client's default partitioner for keyed records: MurmurHash2 (seed 0x9747b28c) of the key
/// bytes, sign bit cleared, modulo the partition count. librdkafka's <c>murmur2_random</c> claims to
/// match it; the produce case checks every keyed record against this independent version.
/// </summary>
internal static class Murmur2
{
    private const uint Multiplier = 0x5bd1e995;

    public static int Hash(ReadOnlySpan<byte> data)
    {
        uint h = 0x9747b28c ^ (uint)data.Length;
        int whole = data.Length & ~3;
        for (int i = 0; i < whole; i += 4)
        {
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            k *= Multiplier;
            k ^= k >> 24;
            k *= Multiplier;
            h = (h * Multiplier) ^ k;
        }
        int tail = data.Length - whole;
        if (tail > 0)
        {
            if (tail == 3) h ^= (uint)data[whole + 2] << 16;
            if (tail >= 2) h ^= (uint)data[whole + 1] << 8;
            h ^= data[whole];
            h *= Multiplier;
        }
        h ^= h >> 13;
        h *= Multiplier;
        h ^= h >> 15;
        return unchecked((int)h);
    }

    public static int Partition(ReadOnlySpan<byte> key, int partitions) => (Hash(key) & 0x7fffffff) % partitions;

    /// <summary>Hashes the Java client's own tests pin, so a mistake here cannot pass as librdkafka's.</summary>
    public static void SelfCheck()
    {
        (string Input, int Hash)[] known =
        [
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            ("abc", 479470107),
        ];
        foreach (var (input, expected) in known)
        {
            int actual = Hash(System.Text.Encoding.ASCII.GetBytes(input));
            Interop.Check(actual == expected, $"murmur2(\"{input}\") = {actual}, the Java client gives {expected}");
        }
    }
}
