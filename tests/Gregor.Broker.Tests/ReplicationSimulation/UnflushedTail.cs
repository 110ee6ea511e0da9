using System.Buffers.Binary;
using System.Globalization;
using Gregor.Storage;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// A machine crash's loss of the page cache, as the fault harness makes it (tests/fault/lib/segments.py): the active
/// segment is cut back to a random byte at or after the position of the first batch at or above the checkpointed
/// recovery point (everything below it was fsynced). The cut may tear a batch, which recovery must trim.
/// </summary>
internal static class UnflushedTail
{
    public static string Cut(string directory, Random random)
    {
        long recoveryPoint = 0;
        string checkpoint = Path.Combine(directory, LogFileNames.StateCheckpoint);
        if (File.Exists(checkpoint))
        {
            foreach (string line in File.ReadAllLines(checkpoint))
            {
                if (line.StartsWith("recovery-point ", StringComparison.Ordinal))
                    recoveryPoint = long.Parse(line["recovery-point ".Length..], CultureInfo.InvariantCulture);
            }
        }
        string? active = Directory.GetFiles(directory, "*" + LogFileNames.LogExtension)
            .OrderByDescending(f => long.Parse(Path.GetFileNameWithoutExtension(f), CultureInfo.InvariantCulture))
            .FirstOrDefault();
        if (active is null) return "no segment";
        long segmentBase = long.Parse(Path.GetFileNameWithoutExtension(active), CultureInfo.InvariantCulture);
        byte[] bytes = File.ReadAllBytes(active);
        int floor = 0;
        if (recoveryPoint > segmentBase)
        {
            floor = bytes.Length;
            int position = 0;
            while (position + 12 <= bytes.Length)
            {
                long baseOffset = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(position));
                int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
                if (baseOffset >= recoveryPoint || length <= 0)
                {
                    floor = position;
                    break;
                }
                position += 12 + length;
            }
            floor = Math.Min(floor, bytes.Length);
        }
        int cut = floor + random.Next(bytes.Length - floor + 1);
        using (var file = new FileStream(active, FileMode.Open, FileAccess.Write))
            file.SetLength(cut);
        return $"segment {segmentBase} cut from {bytes.Length} to {cut} bytes (recovery point {recoveryPoint} at byte {floor})";
    }
}
