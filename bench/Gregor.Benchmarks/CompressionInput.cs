using System.Text;
using Gregor.Protocol.Records;

namespace Gregor.Benchmarks;

/// <summary>
/// What the compression benchmarks compress: the first 1 MiB of a v2 records section (what a
/// producer compresses) holding keyed records whose values are JSON events of a given size —
/// repeated field names and vocabulary, random ids and session tokens.
/// </summary>
public static class CompressionInput
{
    public const int Bytes = 1 << 20;

    private static readonly string[] Events = ["page_view", "add_to_cart", "checkout", "login", "logout", "search", "click", "purchase"];

    private static readonly string[] Words =
    [
        "alpha", "bravo", "cart", "delta", "echo", "fresh", "green", "house", "index", "jacket", "kettle", "lamp", "market",
        "north", "orange", "price", "quick", "river", "shoe", "table", "umbrella", "value", "window", "yellow", "zone",
        "sale", "new", "blue", "red", "small", "large", "order", "stock", "user", "item", "list", "home", "garden",
    ];

    public static byte[] RecordsSection(int valueSize)
    {
        var random = new Random(valueSize);
        using var builder = new RecordBatchBuilder(RecordBatchHeader.Size + Bytes + 64 * 1024);
        long timestamp = 1_700_000_000_000;
        for (int i = 0; builder.UncompressedSize < RecordBatchHeader.Size + Bytes; i++)
        {
            byte[] key = Encoding.ASCII.GetBytes($"user-{random.Next(5000):D5}");
            builder.Append(timestamp + i * 3 + random.Next(3), key, Value(random, valueSize, i, timestamp));
        }
        return builder.Build().Span.Slice(RecordBatchHeader.Size, Bytes).ToArray();
    }

    private static byte[] Value(Random random, int size, int id, long timestamp)
    {
        var json = new StringBuilder(size + 64);
        json.Append($"{{\"id\":{id},\"ts\":{timestamp + id},\"user\":\"user-{random.Next(5000):D5}\",");
        json.Append($"\"event\":\"{Events[random.Next(Events.Length)]}\",\"session\":\"{random.NextInt64():x16}\",");
        json.Append($"\"path\":\"/{Words[random.Next(Words.Length)]}/{random.Next(10000)}\",\"note\":\"");
        while (json.Length < size - 2)
            json.Append(Words[random.Next(Words.Length)]).Append(' ');
        json.Length = Math.Max(0, size - 2);
        json.Append("\"}");
        return Encoding.ASCII.GetBytes(json.ToString());
    }
}
