using System.Buffers.Binary;
using System.Text;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;

namespace Gregor.RequestFuzz.Tests;

/// <summary>
/// A well-behaved client beside the fuzzer, on its own connection: it checks the broker still answers after every
/// case, produces a record now and then with acks=all (every acknowledged one must be readable at the end), and
/// deletes the topics fuzzed requests created so a long run does not pile them up. Each check returns what went
/// wrong, or null.
/// </summary>
internal sealed class BrokerProbe : IDisposable
{
    public const string HealthTopic = "fuzz-health";
    public const string GoldenTopic = "golden"; // the topic the golden captures name
    public const string CompactedTopic = "fuzz-compacted";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly int _port;
    private FuzzConnection _connection;
    private int _correlationId = 1_000_000;

    private BrokerProbe(int port, FuzzConnection connection)
    {
        _port = port;
        _connection = connection;
    }

    /// <summary>Records produced with acks=all and acknowledged.</summary>
    public long Acknowledged { get; private set; }

    public static async Task<BrokerProbe> StartAsync(int port)
    {
        var probe = new BrokerProbe(port, await FuzzConnection.ConnectAsync(port));
        var create = new CreateTopicsRequest { TimeoutMs = 30_000 };
        foreach (string name in new[] { HealthTopic, GoldenTopic })
            create.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = 1, ReplicationFactor = 1 });
        // The first compacted topic makes the broker allocate its log cleaner's dedupe buffer (128 MiB, Kafka's
        // log.cleaner.dedupe.buffer.size), once; paid here, it is not charged to whichever case happens to come first.
        create.Topics.Add(new CreateTopicsRequest.CreatableTopic
        {
            Name = CompactedTopic,
            NumPartitions = 1,
            ReplicationFactor = 1,
            Configs = [new CreateTopicsRequest.CreatableTopicConfig { Name = "cleanup.policy", Value = "compact" }],
        });
        var created = await probe.CallAsync<CreateTopicsResponse>(ApiKey.CreateTopics, 5, create) ?? throw new InvalidOperationException("CreateTopics was not answered");
        if (created.Topics.FirstOrDefault(t => t.ErrorCode != 0) is { } failed)
            throw new InvalidOperationException($"creating {failed.Name} failed: {failed.ErrorCode} {failed.ErrorMessage}");
        // Every topic is served once a write to it is acknowledged (the broker hosts a partition a moment after it is created).
        var deadline = DateTime.UtcNow.AddMinutes(1);
        foreach (string topic in new[] { CompactedTopic, GoldenTopic })
        {
            while ((await probe.ProduceAsync(topic, "setup")).Error is not 0)
            {
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"{topic} is not served a minute after it was created");
                await Task.Delay(100);
            }
        }
        return probe;
    }

    public async Task<string?> CheckAnsweringAsync()
    {
        var response = await CallAsync<ApiVersionsResponse>(ApiKey.ApiVersions, 3, new ApiVersionsRequest { ClientSoftwareName = "fuzz-probe", ClientSoftwareVersion = "1" });
        return response is null ? $"ApiVersions was not answered within {Patience.TotalSeconds} s" : response.ErrorCode != 0 ? $"ApiVersions answered {response.ErrorCode}" : null;
    }

    public async Task<string?> ProduceAsync()
    {
        var (error, offset) = await ProduceAsync(HealthTopic, "acknowledged-" + Acknowledged);
        if (error is null) return "Produce (acks=all) was not answered";
        if (error != 0) return $"Produce (acks=all) failed with {error}";
        if (offset != Acknowledged) return $"Produce (acks=all) got offset {offset}, expected {Acknowledged}";
        Acknowledged++;
        return null;
    }

    /// <summary>One record with acks=all: the partition's error code (null if unanswered) and the offset it got.</summary>
    private async Task<(short? Error, long Offset)> ProduceAsync(string topic, string value)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes(value));
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 30_000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = topic, PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = builder.Build().ToArray() }] }],
        };
        var response = await CallAsync<ProduceResponse>(ApiKey.Produce, 9, request);
        var partition = response?.Responses.SingleOrDefault()?.PartitionResponses.SingleOrDefault();
        return partition is null ? (null, -1) : (partition.ErrorCode, partition.BaseOffset);
    }

    /// <summary>Reads the health topic from the start: exactly the acknowledged records, in order.</summary>
    public async Task<string?> VerifyAcknowledgedAsync()
    {
        long read = 0;
        while (read < Acknowledged)
        {
            var fetch = new FetchRequest { MaxWaitMs = 0, MinBytes = 0, MaxBytes = 1 << 20, SessionEpoch = -1 };
            fetch.Topics.Add(new FetchRequest.FetchTopic { Topic = HealthTopic, Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = read, PartitionMaxBytes = 1 << 20 }] });
            var response = await CallAsync<FetchResponse>(ApiKey.Fetch, 11, fetch);
            var partition = response?.Responses.SingleOrDefault()?.Partitions.SingleOrDefault();
            if (partition is null || partition.ErrorCode != 0) return $"Fetch of {HealthTopic} at {read} failed: {partition?.ErrorCode.ToString() ?? "no answer"}";
            long before = read;
            var batches = new RecordBatchEnumerator(partition.Records.GetValueOrDefault().Span);
            while (batches.MoveNext())
            {
                if (!RecordBatchReader.TryOpen(batches.Current, out RecordBatchReader reader).IsValid) return $"a stored batch at {read} does not open";
                using (reader)
                {
                    while (reader.TryReadNext(out Gregor.Protocol.Records.Record record))
                    {
                        if (record.Offset < read) continue;
                        string expected = "acknowledged-" + read;
                        if (record.Offset != read || Encoding.UTF8.GetString(record.Value.Span) != expected)
                            return $"offset {record.Offset} holds '{Encoding.UTF8.GetString(record.Value.Span)}', expected '{expected}' at {read}";
                        read++;
                    }
                }
            }
            if (read == before) return $"{Acknowledged} records were acknowledged but only {read} can be read (high watermark {partition.HighWatermark})";
        }
        return null;
    }

    /// <summary>Deletes every topic but the probe's, the golden one and the internal ones; returns how many.</summary>
    public async Task<int> SweepTopicsAsync()
    {
        var metadata = await CallAsync<MetadataResponse>(ApiKey.Metadata, 9, new MetadataRequest { Topics = null });
        var names = metadata?.Topics.Select(t => t.Name!).Where(n => n is not (HealthTopic or GoldenTopic or CompactedTopic) && !n.StartsWith("__", StringComparison.Ordinal)).ToList() ?? [];
        if (names.Count == 0) return 0;
        await CallAsync<DeleteTopicsResponse>(ApiKey.DeleteTopics, 4, new DeleteTopicsRequest { TopicNames = names, TimeoutMs = 30_000 });
        return names.Count;
    }

    private async Task<TResponse?> CallAsync<TResponse>(ApiKey api, short version, IProtocolStruct request)
        where TResponse : class, IProtocolMessage<TResponse>
    {
        int correlationId = ++_correlationId;
        byte[] payload = SeedCorpus.Frame((short)api, version, request, correlationId);
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        var exchange = await _connection.ExchangeAsync(frame, Patience);
        if (exchange.Outcome != Outcome.Answered || exchange.CorrelationId != correlationId)
        {
            // The probe's connection is never fed garbage; whatever happened, start the next check afresh.
            _connection.Dispose();
            _connection = await FuzzConnection.ConnectAsync(_port);
            return null;
        }
        int headerSize = RequestFraming.ResponseHeaderVersion((short)api, version) == 0 ? 4 : 5;
        var reader = new ProtocolReader(exchange.Response.AsMemory(headerSize));
        return TResponse.Read(ref reader, version);
    }

    public void Dispose() => _connection.Dispose();
}
