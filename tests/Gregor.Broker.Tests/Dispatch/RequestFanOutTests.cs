using System.Buffers.Binary;
using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Tests.Network;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Tests.Dispatch;

/// <summary>
/// max.request.partitions over real sockets: a request over it is answered INVALID_REQUEST where its response has a
/// top-level error code, and otherwise closed with a log line naming the peer and the limit; either way the broker
/// goes on serving. Responses that could multiply a request's entries (a resource or group named again) stay bounded.
/// </summary>
public sealed class RequestFanOutTests
{
    private const int Cap = 1_000;

    private static async Task<TResponse> CallAsync<TRequest, TResponse>(RawKafkaConnection client, TRequest request, short version, int correlationId)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        short api = TRequest.Descriptor.ApiKey;
        await client.SendAsync(RawKafkaConnection.Frame(api, version, correlationId, Serialize(request, version)));
        var (id, body) = await client.ReceiveResponseAsync(RequestFraming.ResponseHeaderVersion(api, version));
        Assert.Equal(correlationId, id);
        var reader = new ProtocolReader(body);
        return TResponse.Read(ref reader, version);
    }

    private static byte[] Serialize(IProtocolStruct message, short version)
    {
        var bytes = new byte[message.Size(version)];
        var writer = new ProtocolWriter(bytes);
        message.Write(ref writer, version);
        return bytes;
    }

    private static async Task AssertServedAsync(int port)
    {
        using var client = await RawKafkaConnection.ConnectAsync(port);
        var response = await CallAsync<ApiVersionsRequest, ApiVersionsResponse>(client, new ApiVersionsRequest(), 2, 77);
        Assert.Equal(0, response.ErrorCode);
    }

    private static ProduceRequest ProduceNaming(int partitions)
    {
        var topic = new ProduceRequest.TopicProduceData { Name = "fan" };
        for (int i = 0; i < partitions; i++) topic.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = i, Records = null });
        return new ProduceRequest { Acks = 1, TimeoutMs = 1000, TopicData = [topic] };
    }

    private static MetadataRequest MetadataNaming(int topics) => new()
    {
        AllowAutoTopicCreation = false,
        Topics = [.. Enumerable.Range(0, topics).Select(i => new MetadataRequest.MetadataRequestTopic { Name = "absent-" + i })],
    };

    [Fact]
    public void The_setting_defaults_beyond_real_clients_and_refuses_zero()
    {
        static BrokerConfig Parse(params string[] settings) => BrokerConfigParser.Parse(settings.Select(BrokerConfigParser.ParseOverride));
        Assert.Equal(200_000, Parse().MaxRequestPartitions);
        Assert.Equal(5, Parse("max.request.partitions=5").MaxRequestPartitions);
        var refused = Assert.Throws<BrokerConfigException>(() => Parse("max.request.partitions=0"));
        Assert.Contains("max.request.partitions", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_produce_over_the_cap_closes_the_connection_with_a_line_naming_the_peer_and_the_limit()
    {
        await using var broker = await TestBroker.StartAsync([$"max.request.partitions={Cap}"]);
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);

        await client.SendAsync(RawKafkaConnection.Frame(0, 7, 1, Serialize(ProduceNaming(Cap), 7)));

        Assert.True(await client.IsClosedByBrokerAsync());
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Warning, "Produce v7 request over max.request.partitions"));
        var line = broker.Log.Lines.Single(l => l.Text.Contains("max.request.partitions", StringComparison.Ordinal)).Text;
        Assert.Contains("127.0.0.1:", line, StringComparison.Ordinal);
        Assert.Contains("over the limit of 1000", line, StringComparison.Ordinal);
        Assert.Contains("closing the connection", line, StringComparison.Ordinal);
        Assert.DoesNotContain(broker.Log.Lines, l => l.Level >= LogLevel.Error);
        await AssertServedAsync(broker.Port);
    }

    [Fact]
    public async Task A_request_at_the_cap_is_served()
    {
        await using var broker = await TestBroker.StartAsync([$"max.request.partitions={Cap}"]);
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);

        var response = await CallAsync<MetadataRequest, MetadataResponse>(client, MetadataNaming(Cap), 4, 3);

        Assert.Equal(Cap, response.Topics.Count);
        Assert.All(response.Topics, t => Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, t.ErrorCode));
    }

    [Fact]
    public async Task Metadata_naming_more_topics_than_the_cap_is_closed()
    {
        await using var broker = await TestBroker.StartAsync([$"max.request.partitions={Cap}"]);
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);

        await client.SendAsync(RawKafkaConnection.Frame(3, 9, 4, Serialize(MetadataNaming(Cap + 1), 9)));

        Assert.True(await client.IsClosedByBrokerAsync());
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Warning, "Metadata v9 request over max.request.partitions"));
        await AssertServedAsync(broker.Port);
    }

    [Fact]
    public async Task A_fetch_over_the_cap_is_answered_with_invalid_request_and_the_connection_stays_open()
    {
        await using var broker = await TestBroker.StartAsync([$"max.request.partitions={Cap}"]);
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        var fetch = new FetchRequest { MaxWaitMs = 0, MinBytes = 0, MaxBytes = 1024, SessionEpoch = -1 };
        fetch.Topics.Add(new FetchRequest.FetchTopic
        {
            Topic = "fan",
            Partitions = [.. Enumerable.Range(0, Cap + 5).Select(i => new FetchRequest.FetchPartition { Partition = i, PartitionMaxBytes = 1024 })],
        });

        var response = await CallAsync<FetchRequest, FetchResponse>(client, fetch, 11, 5);

        Assert.Equal((short)ErrorCode.InvalidRequest, response.ErrorCode);
        Assert.Empty(response.Responses);
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Warning, "answered INVALID_REQUEST"));
        var again = await CallAsync<ApiVersionsRequest, ApiVersionsResponse>(client, new ApiVersionsRequest(), 2, 6);
        Assert.Equal(0, again.ErrorCode);
    }

    [Fact]
    public async Task Ten_million_empty_partitions_at_the_defaults_are_refused_without_building_them()
    {
        // The measurement: an 80 MB Produce v7 naming 10,000,000 empty partitions cost 1.2 GB and a 300 MB answer.
        await using var broker = await TestBroker.StartAsync();
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        byte[] frame = ProduceFrame(10_000_000);
        long before = GC.GetTotalAllocatedBytes(precise: true);

        await client.SendAsync(frame);

        Assert.True(await client.IsClosedByBrokerAsync(TimeSpan.FromSeconds(60)));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // The frame's own buffer (a pooled array of up to twice its size) is the network's part; decoding adds next to nothing.
        Assert.True(allocated < 2L * frame.Length + (32 << 20), $"{allocated:N0} bytes allocated for an {frame.Length:N0}-byte frame");
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Warning, "over the limit of 200000"));
        await AssertServedAsync(broker.Port);
    }

    [Fact]
    public async Task A_repeated_config_resource_is_described_once()
    {
        await using var broker = await TestBroker.StartAsync();
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        var request = new DescribeConfigsRequest();
        for (int i = 0; i < 3; i++) request.Resources.Add(new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = 4, ResourceName = "1", ConfigurationKeys = null });

        var response = await CallAsync<DescribeConfigsRequest, DescribeConfigsResponse>(client, request, 4, 7);

        Assert.Equal(3, response.Results.Count);
        Assert.Equal(0, response.Results[0].ErrorCode);
        Assert.NotEmpty(response.Results[0].Configs);
        Assert.All(response.Results.Skip(1), r =>
        {
            Assert.Equal((short)ErrorCode.InvalidRequest, r.ErrorCode);
            Assert.Empty(r.Configs);
        });
    }

    [Fact]
    public async Task A_repeated_group_is_described_and_fetched_once()
    {
        await using var broker = await TestBroker.StartAsync();
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);

        var described = await CallAsync<DescribeGroupsRequest, DescribeGroupsResponse>(client,
            new DescribeGroupsRequest { Groups = ["g", "h", "g"] }, 5, 8);
        Assert.Equal(["g", "h", "g"], described.Groups.Select(g => g.GroupId));
        Assert.Equal((short)ErrorCode.InvalidRequest, described.Groups[2].ErrorCode);
        Assert.NotEqual((short)ErrorCode.InvalidRequest, described.Groups[0].ErrorCode);

        var fetched = await CallAsync<OffsetFetchRequest, OffsetFetchResponse>(client, new OffsetFetchRequest
        {
            Groups =
            [
                new OffsetFetchRequest.OffsetFetchRequestGroup { GroupId = "g", Topics = null },
                new OffsetFetchRequest.OffsetFetchRequestGroup { GroupId = "g", Topics = null },
            ],
        }, 8, 9);
        Assert.Equal(2, fetched.Groups.Count);
        Assert.NotEqual((short)ErrorCode.InvalidRequest, fetched.Groups[0].ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, fetched.Groups[1].ErrorCode);
    }

    [Fact]
    public async Task Every_refusal_response_is_a_valid_encoding_carrying_the_error()
    {
        await using var broker = await TestBroker.StartAsync();
        var registry = broker.Host.Services.GetRequiredService<ApiHandlerRegistry>();
        var answered = new List<string>();
        foreach (var handler in registry.Handlers)
        {
            for (short v = handler.LowestVersion; v <= handler.HighestVersion; v++)
            {
                if (handler.RefusalResponse(v, ErrorCode.InvalidRequest) is not { } response) continue;
                byte[] bytes = Serialize(response, v);
                var descriptor = MessageCatalog.All.Single(d => d.Kind == "response" && d.ApiKey == (short)handler.Api);
                var decoded = descriptor.Root.ClrType.GetMethod("Deserialize")!.Invoke(null, [new ReadOnlyMemory<byte>(bytes), v])!;
                Assert.Equal((short)ErrorCode.InvalidRequest, decoded.GetType().GetProperty("ErrorCode")!.GetValue(decoded));
                answered.Add($"{handler.Api} v{v}");
            }
        }
        Assert.Contains("Fetch v7", answered);
        Assert.DoesNotContain("Fetch v6", answered);
        Assert.Contains("JoinGroup v5", answered);
        Assert.Contains("OffsetFetch v7", answered);
        Assert.DoesNotContain("OffsetFetch v8", answered);
        Assert.DoesNotContain(answered, a => a.StartsWith("Produce", StringComparison.Ordinal) || a.StartsWith("Metadata", StringComparison.Ordinal));
    }

    /// <summary>A Produce v7 frame (size prefix, header v1, body) naming one topic with <paramref name="partitions"/> null-records partitions, 8 bytes each.</summary>
    private static byte[] ProduceFrame(int partitions)
    {
        byte[] header = new RequestHeader { RequestApiKey = 0, RequestApiVersion = 7, CorrelationId = 1, ClientId = "fan-out" }.Serialize(1);
        int bodyLength = 2 + 2 + 4 + 4 + 2 + 3 + 4 + (8 * partitions);
        var frame = new byte[4 + header.Length + bodyLength];
        var span = frame.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, header.Length + bodyLength);
        header.CopyTo(span[4..]);
        var body = span[(4 + header.Length)..];
        BinaryPrimitives.WriteInt16BigEndian(body, -1);
        BinaryPrimitives.WriteInt16BigEndian(body[2..], 1);
        BinaryPrimitives.WriteInt32BigEndian(body[4..], 1000);
        BinaryPrimitives.WriteInt32BigEndian(body[8..], 1);
        BinaryPrimitives.WriteInt16BigEndian(body[12..], 3);
        "fan"u8.CopyTo(body[14..]);
        BinaryPrimitives.WriteInt32BigEndian(body[17..], partitions);
        for (int i = 0, at = 21; i < partitions; i++, at += 8)
        {
            BinaryPrimitives.WriteInt32BigEndian(body[at..], i);
            BinaryPrimitives.WriteInt32BigEndian(body[(at + 4)..], -1);
        }
        return frame;
    }
}
