using Gregor.Broker.ControlPlane;
using Gregor.Broker.Handlers;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gregor.Broker.ControlPlane.Tests;

public sealed class TopicHandlerTests : IDisposable
{
    private readonly BrokerFixture _f = new();

    public void Dispose() => _f.Dispose();

    private MetadataHandler Metadata(BrokerFixture? f = null) =>
        new((f ?? _f).Publisher, new ControllerForwarder((f ?? _f).Controller), (f ?? _f).Config, NullLogger<MetadataHandler>.Instance);

    private Task<CreateTopicsResponse> Create(short version, bool validateOnly, params CreateTopicsRequest.CreatableTopic[] topics) =>
        BrokerFixture.Call<CreateTopicsRequest, CreateTopicsResponse>(new CreateTopicsHandler(_f.Controller, new ControllerForwarder(_f.Controller), _f.Publisher, _f.Config),
            new CreateTopicsRequest { Topics = [.. topics], ValidateOnly = validateOnly }, version);

    private static CreateTopicsRequest.CreatableTopic Topic(string name, int partitions = -1, params (string, string)[] configs) => new()
    {
        Name = name,
        NumPartitions = partitions,
        ReplicationFactor = -1,
        Configs = [.. configs.Select(c => new CreateTopicsRequest.CreatableTopicConfig { Name = c.Item1, Value = c.Item2 })],
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(12)]
    public async Task Metadata_lists_brokers_and_all_topics(short version)
    {
        await Create(7, false, Topic("alpha", 3));
        var request = new MetadataRequest { Topics = version == 0 ? [] : null };
        var response = await BrokerFixture.Call<MetadataRequest, MetadataResponse>(Metadata(), request, version);
        var broker = Assert.Single(response.Brokers);
        Assert.Equal((1, "127.0.0.1", 19092), (broker.NodeId, broker.Host, broker.Port));
        Assert.Equal(_f.Publisher.Current.ClusterId, response.ClusterId);
        Assert.Equal(1, response.ControllerId);
        var topic = Assert.Single(response.Topics);
        Assert.Equal(("alpha", 3), (topic.Name, topic.Partitions.Count));
        Assert.Equal(_f.Publisher.Current.Topic("alpha")!.Id, topic.TopicId);
        Assert.Equal(int.MinValue, topic.TopicAuthorizedOperations);
        Assert.All(topic.Partitions, p => Assert.Equal((0, 1, 0), (p.ErrorCode, p.LeaderId, p.LeaderEpoch)));
    }

    [Fact]
    public async Task Metadata_auto_creates_with_leader_not_available_then_describes()
    {
        var request = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "auto" }], AllowAutoTopicCreation = true };
        var first = await BrokerFixture.Call<MetadataRequest, MetadataResponse>(Metadata(), request, 12);
        Assert.Equal((short)ErrorCode.LeaderNotAvailable, Assert.Single(first.Topics).ErrorCode);
        var second = await BrokerFixture.Call<MetadataRequest, MetadataResponse>(Metadata(), request, 12);
        var topic = Assert.Single(second.Topics);
        Assert.Equal((short)ErrorCode.None, topic.ErrorCode);
        Assert.Equal(2, topic.Partitions.Count); // num.partitions

        var byId = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { TopicId = topic.TopicId, Name = null }] };
        Assert.Equal("auto", Assert.Single((await BrokerFixture.Call<MetadataRequest, MetadataResponse>(Metadata(), byId, 12)).Topics).Name);
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(11, false)]
    public async Task Metadata_before_v12_refuses_topic_ids_and_null_names_as_kafka_does(short version, bool nullName)
    {
        // Found by the request fuzzer: a null name by id in v10 made the handler build a response v10 cannot encode.
        var wanted = new MetadataRequest.MetadataRequestTopic { TopicId = new Gregor.Protocol.Primitives.KafkaUuid(1, 2), Name = nullName ? null : "named" };
        var request = new MetadataRequest { Topics = [wanted, new MetadataRequest.MetadataRequestTopic { Name = "other" }], AllowAutoTopicCreation = true };
        var response = await BrokerFixture.Call<MetadataRequest, MetadataResponse>(Metadata(), request, version);
        Assert.Equal([nullName ? "" : "named", "other"], response.Topics.Select(t => t.Name));
        Assert.All(response.Topics, t => Assert.Equal((short)ErrorCode.InvalidRequest, t.ErrorCode));
        Assert.Null(_f.Publisher.Current.Topic("other"));
    }

    [Fact]
    public async Task Metadata_without_auto_create_reports_unknown_topics()
    {
        var request = new MetadataRequest { Topics = [new MetadataRequest.MetadataRequestTopic { Name = "absent" }, new MetadataRequest.MetadataRequestTopic { Name = "bad name" }], AllowAutoTopicCreation = false };
        var response = await BrokerFixture.Call<MetadataRequest, MetadataResponse>(Metadata(), request, 9);
        Assert.Equal([(short)ErrorCode.UnknownTopicOrPartition, (short)ErrorCode.InvalidTopicException], response.Topics.Select(t => t.ErrorCode));
        Assert.Null(_f.Publisher.Current.Topic("absent"));

        using var disabled = new BrokerFixture(autoCreate: false);
        request.AllowAutoTopicCreation = true;
        response = await BrokerFixture.Call<MetadataRequest, MetadataResponse>(Metadata(disabled), request, 9);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Topics[0].ErrorCode);
    }

    [Fact]
    public async Task CreateTopics_v7_returns_id_counts_and_configs_and_flags_duplicates()
    {
        var response = await Create(7, false, Topic("t1", 4, ("retention.ms", "5000")), Topic("dup"), Topic("dup"), Topic("bad", 1, ("nope", "1")));
        var t1 = response.Topics[0];
        Assert.Equal((0, 4, (short)1), (t1.ErrorCode, t1.NumPartitions, t1.ReplicationFactor));
        Assert.Equal(_f.Publisher.Current.Topic("t1")!.Id, t1.TopicId);
        var retention = t1.Configs!.Single(c => c.Name == "retention.ms");
        Assert.Equal(("5000", (sbyte)1), (retention.Value, retention.ConfigSource));
        Assert.Equal((sbyte)5, t1.Configs!.Single(c => c.Name == "segment.bytes").ConfigSource);
        Assert.Equal((short)ErrorCode.InvalidRequest, response.Topics[1].ErrorCode);
        Assert.Equal(3, response.Topics.Count);
        Assert.Equal((short)ErrorCode.InvalidConfig, response.Topics[2].ErrorCode);

        var again = await Create(4, false, Topic("t1"));
        Assert.Equal((short)ErrorCode.TopicAlreadyExists, again.Topics[0].ErrorCode);
        var dry = await Create(5, true, Topic("dry", 3));
        Assert.Equal((0, 3), (dry.Topics[0].ErrorCode, dry.Topics[0].NumPartitions));
        Assert.Null(_f.Publisher.Current.Topic("dry"));
    }

    [Fact]
    public async Task DeleteTopics_by_name_and_by_id()
    {
        await Create(7, false, Topic("x"), Topic("y"));
        var handler = new DeleteTopicsHandler(_f.Controller, new ControllerForwarder(_f.Controller));
        var v5 = await BrokerFixture.Call<DeleteTopicsRequest, DeleteTopicsResponse>(handler, new DeleteTopicsRequest { TopicNames = ["x", "zz"] }, 5);
        Assert.Equal([(short)0, (short)ErrorCode.UnknownTopicOrPartition], v5.Responses.Select(r => r.ErrorCode));
        var id = _f.Publisher.Current.Topic("y")!.Id;
        var v6 = await BrokerFixture.Call<DeleteTopicsRequest, DeleteTopicsResponse>(handler,
            new DeleteTopicsRequest { Topics = [new DeleteTopicsRequest.DeleteTopicState { TopicId = id }, new DeleteTopicsRequest.DeleteTopicState { TopicId = id }] }, 6);
        Assert.Equal(("y", (short)0), (v6.Responses[0].Name, v6.Responses[0].ErrorCode));
        Assert.Equal((short)ErrorCode.UnknownTopicId, v6.Responses[1].ErrorCode);
        Assert.Empty(_f.Publisher.Current.TopicsByName);
    }

    [Fact]
    public async Task CreatePartitions_increases_and_refuses_decreases()
    {
        await Create(7, false, Topic("p", 2));
        var handler = new CreatePartitionsHandler(_f.Controller, new ControllerForwarder(_f.Controller));
        var response = await BrokerFixture.Call<CreatePartitionsRequest, CreatePartitionsResponse>(handler, new CreatePartitionsRequest
        {
            Topics = [new CreatePartitionsRequest.CreatePartitionsTopic { Name = "p", Count = 3 }, new CreatePartitionsRequest.CreatePartitionsTopic { Name = "q", Count = 3 }],
        }, 3);
        Assert.Equal([(short)0, (short)ErrorCode.UnknownTopicOrPartition], response.Results.Select(r => r.ErrorCode));
        response = await BrokerFixture.Call<CreatePartitionsRequest, CreatePartitionsResponse>(handler, new CreatePartitionsRequest
        {
            Topics = [new CreatePartitionsRequest.CreatePartitionsTopic { Name = "p", Count = 1 }],
        }, 0);
        Assert.Equal((short)ErrorCode.InvalidPartitions, response.Results[0].ErrorCode);
        Assert.Equal(3, _f.Publisher.Current.Topic("p")!.Partitions.Length);
    }
}
