using System.Buffers.Binary;

namespace Gregor.RequestFuzz.Tests;

/// <summary>A case to send: the payload after mutation, the size prefix to put before it, and what was done.</summary>
internal sealed record FuzzCase(int Index, SeedFrame Seed, byte[] Payload, int SizePrefix, string Mutations)
{
    public bool PrefixLies => SizePrefix != Payload.Length;

    public short ApiKey => Payload.Length >= 2 ? BinaryPrimitives.ReadInt16BigEndian(Payload) : (short)-1;

    public short ApiVersion => Payload.Length >= 4 ? BinaryPrimitives.ReadInt16BigEndian(Payload.AsSpan(2)) : (short)-1;

    /// <summary>The correlation id the broker must echo, if the header got that far.</summary>
    public int? CorrelationId => Payload.Length >= 8 ? BinaryPrimitives.ReadInt32BigEndian(Payload.AsSpan(4)) : null;

    public byte[] Frame()
    {
        var frame = new byte[4 + Payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, SizePrefix);
        Payload.CopyTo(frame, 4);
        return frame;
    }
}

/// <summary>
/// Mutates seed frames: bit flips, random bytes, interesting integers (huge, negative, boundary and fan-out counts
/// in int16, int32 and varint form), truncation, extension, splicing two frames, repeating or deleting a range,
/// another API key or version in the header, and now and then a size prefix that lies. One Random per case, made
/// from the run's seed and the case's index, so any case can be made again alone.
/// </summary>
internal sealed class FrameMutator(IReadOnlyList<SeedFrame> seeds, IReadOnlyList<ServedApi> served, int fanOutCap)
{
    private static readonly long[] Interesting =
        [0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, int.MaxValue, int.MinValue, 10_000_000, 1_000_000, 200_001, -2];

    public FuzzCase Make(int runSeed, int index)
    {
        var random = new Random(HashCode.Combine(runSeed, index));
        SeedFrame seed = seeds[random.Next(seeds.Count)];
        byte[] payload = seed.Payload;
        var done = new List<string>();
        // One case in ten goes unmutated: valid requests must keep working amid the garbage, and reach deep into handlers.
        int rounds = random.Next(10) == 0 ? 0 : 1 + random.Next(3);
        for (int i = 0; i < rounds; i++)
            payload = MutateOnce(payload, random, done);
        int prefix = payload.Length;
        if (random.Next(50) == 0)
        {
            prefix = random.Next(4) switch { 0 => payload.Length + 1 + random.Next(64), 1 => Math.Max(0, payload.Length - 1 - random.Next(16)), 2 => int.MaxValue, _ => -1 };
            done.Add($"size prefix {prefix}");
        }
        return new FuzzCase(index, seed, payload, prefix, done.Count == 0 ? "none" : string.Join(", ", done));
    }

    private byte[] MutateOnce(byte[] p, Random random, List<string> done)
    {
        int at = p.Length == 0 ? 0 : random.Next(p.Length);
        switch (random.Next(12))
        {
            case 0:
                if (p.Length == 0) return p;
                int bit = random.Next(8);
                done.Add($"flip {at}.{bit}");
                return With(p, q => q[at] ^= (byte)(1 << bit));
            case 1:
                if (p.Length == 0) return p;
                byte value = (byte)random.Next(256);
                done.Add($"byte {at}={value}");
                return With(p, q => q[at] = value);
            case 2:
                return WriteInteresting(p, random, at, done);
            case 3:
                done.Add($"truncate {at}");
                return p[..at];
            case 4:
                var extra = new byte[1 + random.Next(64)];
                random.NextBytes(extra);
                done.Add($"extend {extra.Length}");
                return [.. p, .. extra];
            case 5:
                SeedFrame other = seeds[random.Next(seeds.Count)];
                int from = random.Next(other.Payload.Length + 1);
                done.Add($"splice {at} + {other.Origin}[{from}..]");
                return [.. p.AsSpan(0, at), .. other.Payload.AsSpan(from)];
            case 6:
                int length = Math.Min(p.Length - at, 1 + random.Next(32));
                int times = 1 + random.Next(random.Next(2) == 0 ? 4 : 200);
                done.Add($"repeat {at}+{length} x{times}");
                var repeated = new List<byte>(p.Length + (length * times));
                repeated.AddRange(p.AsSpan(0, at + length));
                for (int t = 0; t < times; t++) repeated.AddRange(p.AsSpan(at, length));
                repeated.AddRange(p.AsSpan(at + length));
                return [.. repeated];
            case 7:
                int cut = Math.Min(p.Length - at, 1 + random.Next(16));
                done.Add($"delete {at}+{cut}");
                return [.. p.AsSpan(0, at), .. p.AsSpan(at + cut)];
            case 8:
                if (p.Length < 2) return p;
                short api = random.Next(8) == 0 ? (short)random.Next(-2, 100) : served[random.Next(served.Count)].ApiKey;
                done.Add($"api key {api}");
                return With(p, q => BinaryPrimitives.WriteInt16BigEndian(q, api));
            case 9:
                if (p.Length < 4) return p;
                short key = BinaryPrimitives.ReadInt16BigEndian(p);
                short highest = served.FirstOrDefault(s => s.ApiKey == key).Highest;
                short version = (short)random.Next(-1, highest + 3);
                done.Add($"version {version}");
                return With(p, q => BinaryPrimitives.WriteInt16BigEndian(q.AsSpan(2), version));
            case 10:
                // A count of entries just past, at, or far past the cap, where an array length may sit.
                int count = random.Next(3) switch { 0 => fanOutCap + 1, 1 => fanOutCap, _ => fanOutCap * (2 + random.Next(100)) };
                return WriteInt(p, random, at, count, done);
            default:
                return WriteInteresting(p, random, at, done);
        }
    }

    private static byte[] WriteInteresting(byte[] p, Random random, int at, List<string> done) =>
        WriteInt(p, random, at, Interesting[random.Next(Interesting.Length)], done);

    private static byte[] WriteInt(byte[] p, Random random, int at, long value, List<string> done)
    {
        switch (random.Next(3))
        {
            case 0 when at + 2 <= p.Length:
                done.Add($"int16 {(short)value}@{at}");
                return With(p, q => BinaryPrimitives.WriteInt16BigEndian(q.AsSpan(at), (short)value));
            case 1 when at + 4 <= p.Length:
                done.Add($"int32 {(int)value}@{at}");
                return With(p, q => BinaryPrimitives.WriteInt32BigEndian(q.AsSpan(at), (int)value));
            default:
                // An unsigned varint (compact lengths are N+1): replaces one byte with the value's 1-5 bytes.
                uint v = unchecked((uint)value);
                var varint = new List<byte>();
                while (v >= 0x80) { varint.Add((byte)(v | 0x80)); v >>= 7; }
                varint.Add((byte)v);
                done.Add($"varint {unchecked((uint)value)}@{at}");
                return [.. p.AsSpan(0, at), .. varint, .. p.AsSpan(Math.Min(p.Length, at + 1))];
        }
    }

    private static byte[] With(byte[] p, Action<byte[]> change)
    {
        byte[] copy = (byte[])p.Clone();
        change(copy);
        return copy;
    }
}
