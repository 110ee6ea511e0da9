using System.Numerics;
using System.Runtime.InteropServices;

namespace Gregor.Protocol.Records;

/// <summary>CRC32C (Castagnoli) with the hardware instruction where the CPU has it.</summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Continues a running (pre-inverted) CRC over more data.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var longs = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong v in longs)
            crc = BitOperations.Crc32C(crc, v);
        for (int i = longs.Length * 8; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, data[i]);
        return crc;
    }
}
