namespace Gregor.Protocol.Records;

/// <summary>
/// CRC-32 with the IEEE 802.3 polynomial (reflected 0xEDB88320, as zlib computes it): what v0/v1
/// messages carry and what a gzip trailer holds. Eight bytes per step through eight tables.
/// </summary>
public static class Crc32Ieee
{
    private const uint Polynomial = 0xEDB88320;

    private static readonly uint[] Tables = BuildTables();

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>The running value before any data.</summary>
    public const uint Start = 0xFFFFFFFF;

    public static uint Finish(uint running) => ~running;

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<uint> t = Tables;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint low = crc ^ (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            crc = t[7 * 256 + (int)(low & 0xFF)]
                ^ t[6 * 256 + (int)((low >> 8) & 0xFF)]
                ^ t[5 * 256 + (int)((low >> 16) & 0xFF)]
                ^ t[4 * 256 + (int)(low >> 24)]
                ^ t[3 * 256 + data[i + 4]]
                ^ t[2 * 256 + data[i + 5]]
                ^ t[1 * 256 + data[i + 6]]
                ^ t[data[i + 7]];
        }
        for (; i < data.Length; i++)
            crc = t[(int)((crc ^ data[i]) & 0xFF)] ^ (crc >> 8);
        return crc;
    }

    /// <summary>Table k maps a byte to its CRC after k further zero bytes, so eight bytes fold at once.</summary>
    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint b = 0; b < 256; b++)
        {
            uint crc = b;
            for (int bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            tables[b] = crc;
        }
        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                uint previous = tables[(k - 1) * 256 + b];
                tables[k * 256 + b] = (previous >> 8) ^ tables[previous & 0xFF];
            }
        }
        return tables;
    }
}
