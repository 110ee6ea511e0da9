using System.Buffers;
using System.Text;
using Gregor.Protocol.Compression;

namespace Gregor.Protocol.Tests.Compression;

/// <summary>Inputs, fixtures and helpers shared by the compression tests.</summary>
internal static class CompressionTestData
{
    public static readonly CompressionType[] AllTypes =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static readonly CompressionType[] CompressedTypes =
        [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    /// <summary>The plaintext of the "text" fixtures; make-fixtures.sh builds the same lines.</summary>
    public static byte[] FixtureText()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 2200; i++)
            text.Append($"record {i:D6} key=k{i % 97} value=v{i * 31 % 1000}\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The plaintext of the "small" fixtures.</summary>
    public static byte[] FixtureSmall() => "Hello, Kafka!\n"u8.ToArray();

    public static byte[] Fixture(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Compression", "Fixtures", name));

    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Record-like text that every codec shrinks a lot.</summary>
    public static byte[] Compressible(int length)
    {
        var bytes = new byte[length];
        ReadOnlySpan<byte> pattern = "{\"user\":\"u-000042\",\"event\":\"page_view\",\"path\":\"/index.html\"}\n"u8;
        for (int i = 0; i < length; i++)
            bytes[i] = pattern[i % pattern.Length];
        return bytes;
    }

    public static byte[] Compress(CompressionType type, ReadOnlySpan<byte> source, int? level = null)
    {
        var writer = new ArrayBufferWriter<byte>();
        CompressionCodec.Compress(type, source, writer, level);
        return writer.WrittenSpan.ToArray();
    }

    public static byte[] Decompress(CompressionType type, ReadOnlySpan<byte> source, int maxDecompressedBytes = 16 * 1024 * 1024)
    {
        var writer = new ArrayBufferWriter<byte>();
        CompressionCodec.Decompress(type, source, writer, maxDecompressedBytes);
        return writer.WrittenSpan.ToArray();
    }
}

/// <summary>A buffer writer that records how far it was asked to grow, to check the bomb guard.</summary>
internal sealed class MeasuringBufferWriter : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> inner = new();

    public int LargestReach { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => inner.WrittenSpan;

    public void Advance(int count) => inner.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Note(sizeHint);
        return inner.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Note(sizeHint);
        return inner.GetSpan(sizeHint);
    }

    private void Note(int sizeHint) => LargestReach = Math.Max(LargestReach, inner.WrittenCount + Math.Max(sizeHint, 1));
}
