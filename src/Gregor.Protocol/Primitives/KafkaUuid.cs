using System.Buffers.Binary;

namespace Gregor.Protocol.Primitives;

/// <summary>
/// Kafka's 128-bit UUID (topic ids, directory ids): two big-endian longs on the wire, shown as
/// URL-safe base64 without padding, as Kafka's tools print it. Not <see cref="Guid"/>, whose
/// byte order differs.
/// </summary>
public readonly record struct KafkaUuid(long MostSignificantBits, long LeastSignificantBits)
{
    public static readonly KafkaUuid Zero;

    public bool IsZero => MostSignificantBits == 0 && LeastSignificantBits == 0;

    /// <summary>A random version-4 UUID from the given source, never zero (zero means "no id").</summary>
    public static KafkaUuid NewRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[16];
        while (true)
        {
            random.NextBytes(bytes);
            bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            var id = Read(bytes);
            // Kafka re-rolls ids whose text starts with '-': command-line tools would read them as options.
            if (!id.IsZero && (bytes[0] & 0xFC) != 0xF8) return id;
        }
    }

    public static KafkaUuid Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadInt64BigEndian(source), BinaryPrimitives.ReadInt64BigEndian(source[8..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, MostSignificantBits);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], LeastSignificantBits);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        Write(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryParse(string? text, out KafkaUuid id)
    {
        id = Zero;
        if (text is null || text.Length != 22) return false;
        string b64 = text.Replace('-', '+').Replace('_', '/') + "==";
        Span<byte> bytes = stackalloc byte[18];
        if (!Convert.TryFromBase64String(b64, bytes, out int written) || written != 16) return false;
        id = Read(bytes);
        return true;
    }
}
