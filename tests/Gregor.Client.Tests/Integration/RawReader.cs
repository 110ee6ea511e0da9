using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;

namespace Gregor.Client.Tests.Integration;

/// <summary>A record as read back from the broker with the protocol codecs, independent of the client's consumer.</summary>
internal sealed record StoredRecord(long Offset, long Timestamp, byte[]? Key, byte[]? Value, IReadOnlyList<(string Key, byte[]? Value)> Headers, byte Compression, long BatchBaseOffset);

/// <summary>Reads a partition back with raw Fetch requests over the client's transport.</summary>
internal static class RawReader
{
    public static async Task<List<StoredRecord>> ReadAllAsync(string bootstrap, string topic, int partition)
    {
        await using var connection = await BrokerConnection.ConnectAsync(BrokerEndpoint.Parse(bootstrap), new ConnectionSettings(), CancellationToken.None);
        short version = connection.Versions.Highest(ApiKey.Fetch, atMost: 12);
        var records = new List<StoredRecord>();
        long next = 0;
        while (true)
        {
            var request = new FetchRequest { MaxWaitMs = 0, MinBytes = 0, MaxBytes = 64 << 20, SessionEpoch = -1 };
            request.Topics.Add(new FetchRequest.FetchTopic
            {
                Topic = topic,
                Partitions = [new FetchRequest.FetchPartition { Partition = partition, FetchOffset = next, PartitionMaxBytes = 64 << 20 }],
            });
            using var frame = await connection.SendFrameAsync((short)ApiKey.Fetch, version, request, expectResponse: true);
            var response = frame!.Decode<FetchResponse>((short)ApiKey.Fetch, version);
            var data = response.Responses.Single().Partitions.Single();
            Assert.Equal(0, data.ErrorCode);
            int before = records.Count;
            if (data.Records is { } bytes) Decode(bytes.Span, records);
            if (records.Count == before) return records;
            next = records[^1].Offset + 1;
        }
    }

    private static void Decode(ReadOnlySpan<byte> section, List<StoredRecord> into)
    {
        foreach (var batchBytes in new RecordBatchEnumerator(section))
        {
            Assert.Equal(RecordBatchValidationResult.Valid, RecordBatchReader.TryOpen(batchBytes, out var reader));
            using (reader)
            {
                byte compression = (byte)new RecordBatch(batchBytes).Compression;
                long baseOffset = new RecordBatch(batchBytes).BaseOffset;
                foreach (var record in reader)
                {
                    var headers = new List<(string, byte[]?)>();
                    foreach (var h in record.Headers) headers.Add((System.Text.Encoding.UTF8.GetString(h.Key), h.Value.ToArray()));
                    into.Add(new StoredRecord(record.Offset, record.Timestamp, record.Key.ToArray(), record.Value.ToArray(), headers, compression, baseOffset));
                }
            }
        }
    }
}
