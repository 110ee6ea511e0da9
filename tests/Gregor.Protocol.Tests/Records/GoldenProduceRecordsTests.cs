using System.Text;
using System.Text.Json;
using Gregor.Protocol.Compression;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;

namespace Gregor.Protocol.Tests.Records;

/// <summary>
/// The record batches inside real clients' Produce requests (every codec librdkafka offers, kafkajs
/// plain and gzip, confluent-kafka's edge cases) validate and read back as the records the clients
/// were told to send: keys, values, headers and fixed timestamps.
/// </summary>
public sealed class GoldenProduceRecordsTests
{
    public static TheoryData<string> Produces() => GoldenCaptures.Files(c => c.GetProperty("api").GetString() == "Produce");

    [Theory]
    [MemberData(nameof(Produces))]
    public void Batches_validate_and_hold_the_records_the_client_sent(string file)
    {
        var capture = GoldenCaptures.Find(file);
        byte[] frame = GoldenCaptures.Bytes(file);
        var request = ProduceRequest.Deserialize(frame.AsMemory(capture.GetProperty("bodyOffset").GetInt32()), capture.GetProperty("apiVersion").GetInt16());
        var records = request.TopicData.Single().PartitionData.Single().Records!.Value;

        var validation = RecordBatchValidator.ValidateAll(records.Span, RecordBatchValidationOptions.ClientProduce, out int batches, out long count);
        Assert.True(validation.IsValid, validation.Message);
        Assert.True(batches >= 1);

        var expected = capture.GetProperty("expectedRecords").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, count);

        string? variant = capture.TryGetProperty("variant", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int index = 0;
        foreach (var batchBytes in new RecordBatchEnumerator(records.Span))
        {
            var batch = new RecordBatch(batchBytes);
            if (variant is not null && CompressionCodec.TryParse(variant, out var codec))
                Assert.Equal(codec, batch.Compression);
            var opened = RecordBatchReader.TryOpen(batchBytes, out var reader);
            Assert.True(opened.IsValid, opened.Message);
            using (reader)
            {
                foreach (var record in reader)
                {
                    var want = expected[index++];
                    AssertBytes(want.GetProperty("key"), record.Key, "key");
                    AssertBytes(want.GetProperty("value"), record.Value, "value");
                    var headers = want.GetProperty("headers").EnumerateArray().ToArray();
                    Assert.Equal(headers.Length, record.Headers.Count);
                    int h = 0;
                    foreach (var header in record.Headers)
                    {
                        Assert.Equal(headers[h][0].GetString(), Encoding.UTF8.GetString(header.Key));
                        AssertBytes(headers[h][1], header.Value, "header value");
                        h++;
                    }
                    if (want.TryGetProperty("timestamp", out var ts))
                        Assert.Equal(ts.GetInt64(), record.Timestamp);
                }
            }
        }
        Assert.Equal(expected.Length, index);
    }

    private static void AssertBytes(JsonElement want, NullableBytes actual, string what)
    {
        if (want.ValueKind == JsonValueKind.Null)
        {
            Assert.True(actual.IsNull, what + " should be null");
            return;
        }
        Assert.False(actual.IsNull, what + " should not be null");
        byte[] bytes = want.ValueKind == JsonValueKind.Object
            ? Convert.FromHexString(want.GetProperty("hex").GetString()!)
            : Encoding.UTF8.GetBytes(want.GetString()!);
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(actual.Span));
    }
}
