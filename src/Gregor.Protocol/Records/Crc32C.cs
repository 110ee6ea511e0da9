using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gregor.Protocol.Records;

/// <summary>CRC32C (Castagnoli) with the hardware instruction where the CPU has it.</summary>
/// <remarks>
/// The instruction has a latency of about three cycles but can start one per cycle, so one dependent chain
/// leaves two thirds of it idle. Long inputs are split into three blocks checksummed side by side and the
/// three results combined: the register after a block of n bytes is linear in the register before it, so a
/// precomputed table per block size "appends n zero bytes" to a partial result in four lookups. Every broker
/// append checks the CRC of every batch, which made the single chain a visible share of append time.
/// </remarks>
public static class Crc32C
{
    // Block sizes for the three-way split, largest first; each has a 4 x 256-entry shift table.
    private const int LongBlock = 8192;
    private const int MediumBlock = 1024;
    private const int ShortBlock = 128;

    private static readonly uint[] LongShift = ZeroBytesTable(LongBlock);
    private static readonly uint[] MediumShift = ZeroBytesTable(MediumBlock);
    private static readonly uint[] ShortShift = ZeroBytesTable(ShortBlock);

    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Continues a running (pre-inverted) CRC over more data.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nint at = 0, length = data.Length;
        crc = ThreeWay(crc, ref start, ref at, length, LongBlock, LongShift);
        crc = ThreeWay(crc, ref start, ref at, length, MediumBlock, MediumShift);
        crc = ThreeWay(crc, ref start, ref at, length, ShortBlock, ShortShift);
        for (; at <= length - sizeof(ulong); at += sizeof(ulong))
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, at)));
        for (; at < length; at++)
            crc = BitOperations.Crc32C(crc, Unsafe.Add(ref start, at));
        return crc;
    }

    /// <summary>Checksums runs of three <paramref name="block"/>-byte blocks as three independent chains, then joins them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ThreeWay(uint crc, ref byte start, ref nint at, nint length, int block, uint[] shift)
    {
        while (length - at >= 3 * block)
        {
            ref byte first = ref Unsafe.Add(ref start, at);
            uint a = crc, b = 0, c = 0;
            for (nint i = 0; i < block; i += sizeof(ulong))
            {
                a = BitOperations.Crc32C(a, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, i)));
                b = BitOperations.Crc32C(b, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, i + block)));
                c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, i + 2 * block)));
            }
            // crc(x ++ y) = crc(x) moved past |y| zero bytes, xor crc of y from a zero register.
            crc = AppendZeros(shift, AppendZeros(shift, a) ^ b) ^ c;
            at += 3 * block;
        }
        return crc;
    }

    private static uint AppendZeros(uint[] table, uint crc) =>
        table[crc & 0xff] ^ table[256 + ((crc >> 8) & 0xff)] ^ table[512 + ((crc >> 16) & 0xff)] ^ table[768 + (crc >> 24)];

    /// <summary>
    /// The table of the linear map "run <paramref name="bytes"/> zero bytes through the register": the image of
    /// each register bit, found by running it, then combined per byte of the register.
    /// </summary>
    private static uint[] ZeroBytesTable(int bytes)
    {
        Span<uint> bitImages = stackalloc uint[32];
        for (int bit = 0; bit < 32; bit++)
        {
            uint register = 1u << bit;
            for (int i = 0; i < bytes / sizeof(ulong); i++)
                register = BitOperations.Crc32C(register, 0UL);
            bitImages[bit] = register;
        }
        var table = new uint[4 * 256];
        for (int lane = 0; lane < 4; lane++)
        {
            for (int value = 0; value < 256; value++)
            {
                uint image = 0;
                for (int bit = 0; bit < 8; bit++)
                {
                    if ((value >> bit & 1) != 0)
                        image ^= bitImages[8 * lane + bit];
                }
                table[256 * lane + value] = image;
            }
        }
        return table;
    }
}
