using System.Collections;
using System.Text.Json;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>
/// Requests captured from kcat (librdkafka), kafkajs and confluent-kafka-python decode with the
/// generated codecs to the values the clients sent, and re-encode to the very same bytes.
/// </summary>
public sealed class GoldenRequestTests
{
    public static TheoryData<string> Captures() => GoldenCaptures.Files();

    [Theory]
    [MemberData(nameof(Captures))]
    public void Decodes_and_reencodes_byte_for_byte(string file)
    {
        var capture = GoldenCaptures.Find(file);
        byte[] frame = GoldenCaptures.Bytes(file);
        short apiKey = capture.GetProperty("apiKey").GetInt16();
        short version = capture.GetProperty("apiVersion").GetInt16();

        var reader = new ProtocolReader(frame);
        var header = RequestFraming.ReadHeader(ref reader, frame);
        Assert.Equal(apiKey, header.RequestApiKey);
        Assert.Equal(version, header.RequestApiVersion);
        Assert.Equal(capture.GetProperty("correlationId").GetInt32(), header.CorrelationId);
        Assert.Equal(capture.GetProperty("clientId").GetString(), header.ClientId);
        Assert.Equal(capture.GetProperty("bodyOffset").GetInt32(), reader.Position);
        short headerVersion = RequestFraming.RequestHeaderVersion(apiKey, version);
        Assert.Equal(capture.GetProperty("requestHeaderVersion").GetInt16(), headerVersion);

        var descriptor = RequestFraming.RequestDescriptor(apiKey)!;
        byte[] body = frame[reader.Position..];
        object request = MessageCodecs.Deserialize(descriptor, body, version);

        var differences = new List<string>();
        CompareWithJson(request, capture.GetProperty("request"), descriptor.Name, differences);
        Assert.True(differences.Count == 0, string.Join("; ", differences));

        byte[] reencoded = [.. header.Serialize(headerVersion), .. MessageCodecs.Serialize(request, version)];
        Assert.Equal(Convert.ToHexString(frame), Convert.ToHexString(reencoded));
    }

    [Fact]
    public void Every_client_and_the_four_core_apis_are_covered()
    {
        var all = GoldenCaptures.All.ToList();
        foreach (string client in new[] { "kcat", "kafkajs", "confluent-python" })
            Assert.Contains(all, c => c.GetProperty("client").GetString() == client);
        foreach (string api in new[] { "Produce", "Fetch", "Metadata", "ApiVersions" })
            Assert.Contains(all, c => c.GetProperty("api").GetString() == api);
    }

    /// <summary>Compares decoded properties with the capture tool's own decoding of the same bytes.</summary>
    private static void CompareWithJson(object? actual, JsonElement expected, string path, List<string> differences)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Null:
                if (actual is not null) differences.Add($"{path}: expected null, got {actual}");
                return;
            case JsonValueKind.Object when actual is ReadOnlyMemory<byte> records:
                // Records: the capture tool records their size; their content is checked by the records tests.
                int size = expected.GetProperty("sizeInBytes").GetInt32();
                if (records.Length != size) differences.Add($"{path}: {records.Length} bytes of records, expected {size}");
                return;
            case JsonValueKind.Object:
                if (actual is null) { differences.Add($"{path}: null, expected an object"); return; }
                foreach (var property in expected.EnumerateObject())
                {
                    var clr = actual.GetType().GetProperty(property.Name);
                    if (clr is null) { differences.Add($"{path}.{property.Name}: no such property"); continue; }
                    CompareWithJson(clr.GetValue(actual), property.Value, path + "." + property.Name, differences);
                }
                return;
            case JsonValueKind.Array:
                if (actual is not IList list) { differences.Add($"{path}: expected a list"); return; }
                var items = expected.EnumerateArray().ToArray();
                if (items.Length != list.Count) { differences.Add($"{path}: {list.Count} elements, expected {items.Length}"); return; }
                for (int i = 0; i < items.Length; i++) CompareWithJson(list[i], items[i], $"{path}[{i}]", differences);
                return;
            case JsonValueKind.String:
                string text = actual switch
                {
                    byte[] bytes => Convert.ToHexString(bytes).ToLowerInvariant(),
                    KafkaUuid id => id.ToString(),
                    _ => actual?.ToString() ?? "null",
                };
                string want = expected.GetString()!;
                if (actual is byte[]) want = want.ToLowerInvariant();
                if (text != want && !(actual is KafkaUuid && UuidMatches((KafkaUuid)actual, want)))
                    differences.Add($"{path}: expected '{want}', got '{text}'");
                return;
            case JsonValueKind.True or JsonValueKind.False:
                if (actual is not bool b || b != expected.GetBoolean()) differences.Add($"{path}: expected {expected.GetBoolean()}, got {actual}");
                return;
            case JsonValueKind.Number:
                if (actual is null || Convert.ToDecimal(actual, System.Globalization.CultureInfo.InvariantCulture) != expected.GetDecimal())
                    differences.Add($"{path}: expected {expected}, got {actual}");
                return;
        }
    }

    // The capture tool may print uuids as hex rather than Kafka's base64.
    private static bool UuidMatches(KafkaUuid id, string text)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.Write(bytes);
        string hex = Convert.ToHexString(bytes);
        return string.Equals(hex, text.Replace("-", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }
}
