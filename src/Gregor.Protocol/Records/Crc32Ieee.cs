namespace Gregor.Protocol.Records;

/// <summary>
/// CRC-32 with the IEEE 802.3 polynomial (as zlib computes it), which v0/v1 messages carry.
/// Only legacy message sets need it, so a byte-at-a-time table is fast enough.
/// </summary>
public static class Crc32Ieee
{
    private const uint ReversedPolynomial = 0xEDB88320;
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < table.Length; i++)
        {
            uint c = i;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 1) != 0 ? ReversedPolynomial ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
