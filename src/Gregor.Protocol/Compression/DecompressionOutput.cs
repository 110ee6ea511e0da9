using System.Buffers;

namespace Gregor.Protocol.Compression;

/// <summary>
/// The destination of a decompression with its size limit. Spans handed to a decoder are never
/// longer than the room left plus one byte, so a decoder can overshoot the limit by at most one
/// byte, and that byte is never committed: <see cref="Advance"/> throws first. When no room is
/// left, the decoder writes into a one-byte probe instead of growing the destination.
/// </summary>
internal ref struct DecompressionOutput
{
    private const int PreferredChunk = 64 * 1024;

    private readonly IBufferWriter<byte> destination;
    private readonly Span<byte> probe;
    private readonly int limit;
    private readonly string codec;

    public DecompressionOutput(IBufferWriter<byte> destination, int limit, string codec, Span<byte> probe)
    {
        this.destination = destination;
        this.limit = limit;
        this.codec = codec;
        this.probe = probe;
    }

    public int Written { get; private set; }

    private readonly int Room => limit - Written;

    /// <summary>A writable span of at most room + 1 bytes.</summary>
    public readonly Span<byte> GetSpan()
    {
        if (Room == 0)
            return probe[..1];
        int cap = Room == int.MaxValue ? int.MaxValue : Room + 1;
        Span<byte> span = destination.GetSpan(Math.Min(PreferredChunk, cap));
        return span.Length > cap ? span[..cap] : span;
    }

    /// <summary>Commits bytes written into the last span, or throws if they pass the limit.</summary>
    public void Advance(int count)
    {
        if (count == 0)
            return;
        EnsureRoom(count);
        destination.Advance(count);
        Written += count;
    }

    /// <summary>Appends a whole decoded piece, or throws if it passes the limit.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        EnsureRoom(data.Length);
        destination.Write(data);
        Written += data.Length;
    }

    /// <summary>Throws if <paramref name="count"/> more bytes would pass the limit.</summary>
    public readonly void EnsureRoom(long count)
    {
        if (count > Room)
            throw TooLarge(codec, limit);
    }

    public static InvalidDataException TooLarge(string codec, int limit) =>
        new($"{codec}: decompressed data exceeds the limit of {limit} bytes");
}
