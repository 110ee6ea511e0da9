using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Replication;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>
/// A broker's data plane on temp log dirs: the replica manager following a test metadata view, and the three
/// handlers. Requests go in encoded and responses come back through their wire encoding, as on a connection.
/// </summary>
internal sealed class DataPlaneFixture : IAsyncDisposable
{
    private readonly bool _ownsRoot;

    public DataPlaneFixture(Func<BrokerConfig, BrokerConfig>? configure = null, int logDirs = 1)
    {
        Root = Path.Combine(Path.GetTempPath(), "gregor-dataplane-tests", Guid.NewGuid().ToString("N"));
        _ownsRoot = true;
        var config = new BrokerConfig
        {
            NodeId = TestMetadataView.NodeId,
            LogDirs = [.. Enumerable.Range(0, logDirs).Select(index => Path.Combine(Root, "dir" + index))],
        };
        Config = configure is null ? config : configure(config);
        Metadata = new TestMetadataView();
        Replicas = StartReplicaManager();
    }

    public string Root { get; }

    public BrokerConfig Config { get; }

    public TestMetadataView Metadata { get; }

    public ReplicaManager Replicas { get; private set; }

    public ProduceHandler ProduceHandler { get; private set; } = null!;

    public FetchHandler FetchHandler { get; private set; } = null!;

    public ListOffsetsHandler ListOffsetsHandler { get; private set; } = null!;

    public OffsetForLeaderEpochHandler OffsetForLeaderEpochHandler { get; private set; } = null!;

    private ReplicaManager StartReplicaManager()
    {
        var replicas = new ReplicaManager(Config, Metadata, TimeProvider.System, NullLogger<ReplicaManager>.Instance);
        replicas.Start();
        ProduceHandler = new ProduceHandler(replicas, new Producers.IssuedProducerIds(Metadata, TimeProvider.System), NullLogger<ProduceHandler>.Instance);
        FetchHandler = new FetchHandler(replicas, Config, NullLogger<FetchHandler>.Instance);
        ListOffsetsHandler = new ListOffsetsHandler(replicas);
        OffsetForLeaderEpochHandler = new OffsetForLeaderEpochHandler(replicas);
        return replicas;
    }

    /// <summary>Stops the broker's data plane cleanly and starts a new one on the same log dirs and metadata.</summary>
    public async Task RestartAsync()
    {
        await Replicas.StopAsync();
        Replicas = StartReplicaManager();
    }

    public async Task<ProduceResponse?> ProduceAsync(ProduceRequest request, short version = 9)
    {
        (IProtocolStruct? response, RequestContext context) = await SendAsync(ProduceHandler, ApiKey.Produce, request.Serialize(version), version);
        try
        {
            return response is null ? null : ProduceResponse.Deserialize(((ProduceResponse)response).Serialize(version), version);
        }
        finally
        {
            context.ReleaseResources();
        }
    }

    public Task<ProduceResponse?> ProduceAsync(string topic, int partition, byte[] records, short acks = 1, short version = 9, int timeoutMs = 30_000) =>
        ProduceAsync(ProduceRequestFor(topic, partition, records, acks, timeoutMs), version);

    public static ProduceRequest ProduceRequestFor(string topic, int partition, byte[] records, short acks = 1, int timeoutMs = 30_000) => new()
    {
        Acks = acks,
        TimeoutMs = timeoutMs,
        TopicData =
        [
            new ProduceRequest.TopicProduceData
            {
                Name = topic,
                PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = records }],
            },
        ],
    };

    public async Task<FetchResponse> FetchAsync(FetchRequest request, short version = 11)
    {
        (IProtocolStruct? response, RequestContext context) = await SendAsync(FetchHandler, ApiKey.Fetch, request.Serialize(version), version);
        try
        {
            // Encoded before the reads are released, as the connection writes it.
            return FetchResponse.Deserialize(((FetchResponse)response!).Serialize(version), version);
        }
        finally
        {
            context.ReleaseResources();
        }
    }

    public Task<FetchResponse> FetchAsync(string topic, int partition, long offset, int partitionMaxBytes = 1024 * 1024, int maxWaitMs = 0,
        int minBytes = 0, short version = 11)
    {
        FetchRequest request = FetchRequestFor((topic, partition, offset, partitionMaxBytes));
        request.MaxWaitMs = maxWaitMs;
        request.MinBytes = minBytes;
        return FetchAsync(request, version);
    }

    public static FetchRequest FetchRequestFor(params (string Topic, int Partition, long Offset, int PartitionMaxBytes)[] partitions)
    {
        var request = new FetchRequest { MaxWaitMs = 0, MinBytes = 0, MaxBytes = 50 * 1024 * 1024, SessionEpoch = -1 };
        foreach (var group in partitions.GroupBy(p => p.Topic))
        {
            request.Topics.Add(new FetchRequest.FetchTopic
            {
                Topic = group.Key,
                Partitions = [.. group.Select(p => new FetchRequest.FetchPartition { Partition = p.Partition, FetchOffset = p.Offset, PartitionMaxBytes = p.PartitionMaxBytes })],
            });
        }
        return request;
    }

    public async Task<ListOffsetsResponse> ListOffsetsAsync(ListOffsetsRequest request, short version = 7)
    {
        (IProtocolStruct? response, RequestContext context) = await SendAsync(ListOffsetsHandler, ApiKey.ListOffsets, request.Serialize(version), version);
        context.ReleaseResources();
        return ListOffsetsResponse.Deserialize(((ListOffsetsResponse)response!).Serialize(version), version);
    }

    public Task<ListOffsetsResponse> ListOffsetsAsync(string topic, int partition, long timestamp, short version = 7, int currentLeaderEpoch = -1) =>
        ListOffsetsAsync(new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics =
            [
                new ListOffsetsRequest.ListOffsetsTopic
                {
                    Name = topic,
                    Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = partition, Timestamp = timestamp, CurrentLeaderEpoch = currentLeaderEpoch, MaxNumOffsets = 10 }],
                },
            ],
        }, version);

    public async Task<OffsetForLeaderEpochResponse> OffsetForLeaderEpochAsync(OffsetForLeaderEpochRequest request, short version = 4)
    {
        (IProtocolStruct? response, RequestContext context) = await SendAsync(OffsetForLeaderEpochHandler, ApiKey.OffsetForLeaderEpoch, request.Serialize(version), version);
        context.ReleaseResources();
        return OffsetForLeaderEpochResponse.Deserialize(((OffsetForLeaderEpochResponse)response!).Serialize(version), version);
    }

    private static async Task<(IProtocolStruct? Response, RequestContext Context)> SendAsync(IApiHandler handler, ApiKey api, byte[] body, short version)
    {
        Assert.InRange(version, handler.LowestVersion, handler.HighestVersion);
        var context = new RequestContext(api, version, 7, "dataplane-tests", null, 1, body);
        IProtocolStruct? response = await handler.HandleAsync(context, body, CancellationToken.None);
        return (response, context);
    }

    public async ValueTask DisposeAsync()
    {
        await Replicas.StopAsync();
        if (_ownsRoot)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
