using System.Text.Json;

namespace Gregor.Protocol.Tests;

/// <summary>The request frames real clients sent, indexed by Golden/golden.json (see Golden/README.md).</summary>
internal static class GoldenCaptures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Golden");

    private static readonly Lazy<JsonElement[]> Index = new(() =>
    {
        using var stream = File.OpenRead(Path.Combine(Directory, "golden.json"));
        using var doc = JsonDocument.Parse(stream);
        return doc.RootElement.GetProperty("captures").EnumerateArray().Select(e => e.Clone()).ToArray();
    });

    public static IEnumerable<JsonElement> All => Index.Value;

    public static JsonElement Find(string file) => Index.Value.Single(e => e.GetProperty("file").GetString() == file);

    public static byte[] Bytes(string file) => File.ReadAllBytes(Path.Combine(Directory, file));

    public static TheoryData<string> Files(Func<JsonElement, bool>? filter = null)
    {
        var data = new TheoryData<string>();
        foreach (var e in Index.Value)
            if (filter is null || filter(e)) data.Add(e.GetProperty("file").GetString()!);
        return data;
    }
}
