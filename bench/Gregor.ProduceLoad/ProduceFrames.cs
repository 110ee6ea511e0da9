using System.Buffers.Binary;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;

namespace Gregor.ProduceLoad;

/// <summary>
/// Produce request frames built once and sent again and again: the broker rewrites only the batch header's
/// base offset (outside the CRC) in its own copy, so the same bytes are a valid new batch every time. Only the
/// correlation id changes per send, patched in place.
/// </summary>
internal static class ProduceFrames
{
    /// <summary>Produce v8: the newest non-flexible version (request header v1, response header v0), as librdkafka 2.0 sends.</summary>
    public const short Version = 8;

    /// <summary>In a v1 request header the correlation id follows the API key and version; plus the 4-byte size prefix.</summary>
    public const int CorrelationIdOffset = 4 + 2 + 2;

    private const string ClientId = "gregor-produce-load";

    /// <summary>A whole frame (size prefix included) carrying one batch of <paramref name="records"/> values of printable random bytes.</summary>
    public static byte[] Build(string topic, int partition, int records, int recordSize, short acks, int timeoutMs, Random random)
    {
        using var builder = new RecordBatchBuilder(records * (recordSize + 16) + RecordBatchHeader.Size);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var value = new byte[recordSize];
        for (int i = 0; i < records; i++)
        {
            FillPrintable(value, random);
            builder.Append(now, (byte[]?)null, value);
        }
        var request = new ProduceRequest
        {
            Acks = acks,
            TimeoutMs = timeoutMs,
            TopicData =
            [
                new ProduceRequest.TopicProduceData
                {
                    Name = topic,
                    PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = builder.Build().ToArray() }],
                },
            ],
        };
        byte[] body = request.Serialize(Version);
        byte[] header = new RequestHeader { RequestApiKey = (short)Gregor.Protocol.ApiKey.Produce, RequestApiVersion = Version, ClientId = ClientId }
            .Serialize(RequestFraming.RequestHeaderVersion((short)Gregor.Protocol.ApiKey.Produce, Version));
        var frame = new byte[4 + header.Length + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, header.Length + body.Length);
        header.CopyTo(frame, 4);
        body.CopyTo(frame, 4 + header.Length);
        return frame;
    }

    /// <summary>How many records of <paramref name="recordSize"/> bytes fill a batch of at most <paramref name="batchBytes"/>.</summary>
    public static int RecordsPerBatch(int recordSize, int batchBytes)
    {
        // A record without key or headers: its fields take at most 1 + 10 + 5 + 1 + 5 + 1 bytes plus a 5-byte length.
        int perRecord = recordSize + 28;
        return Math.Max(1, (batchBytes - RecordBatchHeader.Size) / perRecord);
    }

    private static void FillPrintable(Span<byte> value, Random random)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        random.NextBytes(value);
        for (int i = 0; i < value.Length; i++) value[i] = (byte)alphabet[value[i] & 63];
    }
}
