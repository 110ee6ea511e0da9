using Gregor.Broker.ControlPlane;
using Gregor.Broker.Handlers;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.ControlPlane.Tests;

public sealed class ConfigHandlerTests : IDisposable
{
    private readonly BrokerFixture _f = new(explicitSettings: new() { ["log.retention.hours"] = "24" });

    public void Dispose() => _f.Dispose();

    private Task<DescribeConfigsResponse> Describe(short version, sbyte type, string name, bool synonyms = true, params string[] keys) =>
        BrokerFixture.Call<DescribeConfigsRequest, DescribeConfigsResponse>(new DescribeConfigsHandler(_f.Publisher, _f.Config),
            new DescribeConfigsRequest
            {
                Resources = [new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = type, ResourceName = name, ConfigurationKeys = keys.Length == 0 ? null : [.. keys] }],
                IncludeSynonyms = synonyms,
                IncludeDocumentation = true,
            }, version);

    [Fact]
    public async Task Describe_topic_reports_sources_synonyms_types_and_docs()
    {
        await _f.Controller.CreateTopicsAsync([new NewTopic("t", 1, 1, [], [new("cleanup.policy", "compact")])], false);
        var result = Assert.Single((await Describe(4, 2, "t")).Results);
        Assert.Equal(0, result.ErrorCode);
        var configs = result.Configs.ToDictionary(c => c.Name);
        Assert.Equal(("compact", (sbyte)1, (sbyte)7), (configs["cleanup.policy"].Value, configs["cleanup.policy"].ConfigSource, configs["cleanup.policy"].ConfigType));
        var retention = configs["retention.ms"];
        Assert.Equal(("86400000", (sbyte)4), (retention.Value, retention.ConfigSource));
        Assert.Equal([("log.retention.hours", (sbyte)4), ("log.retention.hours", (sbyte)5)], retention.Synonyms.Select(s => (s.Name, s.Source)));
        Assert.False(string.IsNullOrEmpty(retention.Documentation));

        var v0 = (await Describe(0, 2, "t", false, "segment.bytes", "cleanup.policy")).Results[0].Configs.ToDictionary(c => c.Name);
        Assert.Equal(2, v0.Count);
        Assert.True(v0["segment.bytes"].IsDefault);
        Assert.False(v0["cleanup.policy"].IsDefault);

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await Describe(4, 2, "missing")).Results[0].ErrorCode);
    }

    [Fact]
    public async Task Describe_broker_marks_static_settings_read_only()
    {
        var configs = (await Describe(4, 4, "1")).Results[0].Configs.ToDictionary(c => c.Name);
        Assert.Equal(("1", true, (sbyte)4), (configs["node.id"].Value, configs["node.id"].ReadOnly, configs["node.id"].ConfigSource));
        Assert.Equal(("24", false, (sbyte)4), (configs["log.retention.hours"].Value, configs["log.retention.hours"].ReadOnly, configs["log.retention.hours"].ConfigSource));
        Assert.Equal((short)ErrorCode.InvalidRequest, (await Describe(4, 4, "9")).Results[0].ErrorCode);
    }

    [Fact]
    public async Task Incremental_and_full_alter_then_describe()
    {
        await _f.Controller.CreateTopicsAsync([new NewTopic("t", 1, 1, [], [])], false);
        var incremental = new IncrementalAlterConfigsHandler(_f.Controller, new ControllerForwarder(_f.Controller));
        var response = await BrokerFixture.Call<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(incremental, new IncrementalAlterConfigsRequest
        {
            Resources =
            [
                new IncrementalAlterConfigsRequest.AlterConfigsResource
                {
                    ResourceType = 2, ResourceName = "t",
                    Configs = [new IncrementalAlterConfigsRequest.AlterableConfig { Name = "cleanup.policy", ConfigOperation = 2, Value = "compact" }],
                },
                new IncrementalAlterConfigsRequest.AlterConfigsResource
                {
                    ResourceType = 2, ResourceName = "t2",
                    Configs = [new IncrementalAlterConfigsRequest.AlterableConfig { Name = "retention.ms", ConfigOperation = 0, Value = "1" }],
                },
            ],
        }, 1);
        Assert.Equal([(short)0, (short)ErrorCode.UnknownTopicOrPartition], response.Responses.Select(r => r.ErrorCode));
        Assert.Equal("delete,compact", _f.Publisher.Current.Topic("t")!.Configs["cleanup.policy"]);

        var full = new AlterConfigsHandler(_f.Controller, new ControllerForwarder(_f.Controller));
        var altered = await BrokerFixture.Call<AlterConfigsRequest, AlterConfigsResponse>(full, new AlterConfigsRequest
        {
            Resources = [new AlterConfigsRequest.AlterConfigsResource { ResourceType = 2, ResourceName = "t", Configs = [new AlterConfigsRequest.AlterableConfig { Name = "retention.ms", Value = "bad" }] }],
        }, 2);
        Assert.Equal((short)ErrorCode.InvalidConfig, altered.Responses[0].ErrorCode);
        altered = await BrokerFixture.Call<AlterConfigsRequest, AlterConfigsResponse>(full, new AlterConfigsRequest
        {
            Resources = [new AlterConfigsRequest.AlterConfigsResource { ResourceType = 2, ResourceName = "t", Configs = [new AlterConfigsRequest.AlterableConfig { Name = "retention.ms", Value = "99" }] }],
        }, 0);
        Assert.Equal(0, altered.Responses[0].ErrorCode);
        Assert.Equal(["retention.ms"], _f.Publisher.Current.Topic("t")!.Configs.Keys);
    }

    [Fact]
    public async Task A_resource_named_twice_gets_INVALID_REQUEST_and_the_others_are_applied()
    {
        await _f.Controller.CreateTopicsAsync([new NewTopic("t", 1, 1, [], [])], false);
        await _f.Controller.CreateTopicsAsync([new NewTopic("u", 1, 1, [], [])], false);
        static AlterConfigsRequest.AlterConfigsResource Set(string topic, string value) => new()
        {
            ResourceType = 2, ResourceName = topic, Configs = [new AlterConfigsRequest.AlterableConfig { Name = "retention.ms", Value = value }],
        };

        var response = await BrokerFixture.Call<AlterConfigsRequest, AlterConfigsResponse>(new AlterConfigsHandler(_f.Controller, new ControllerForwarder(_f.Controller)),
            new AlterConfigsRequest { Resources = [Set("t", "1000"), Set("u", "2000"), Set("t", "3000")] }, 1);

        Assert.Equal([(short)ErrorCode.InvalidRequest, (short)0, (short)ErrorCode.InvalidRequest], response.Responses.Select(r => r.ErrorCode));
        Assert.Equal(["t", "u", "t"], response.Responses.Select(r => r.ResourceName));
        Assert.False(_f.Publisher.Current.Topic("t")!.Configs.ContainsKey("retention.ms"));
        Assert.Equal("2000", _f.Publisher.Current.Topic("u")!.Configs["retention.ms"]);
    }

    [Fact]
    public async Task DescribeCluster_lists_this_node()
    {
        var handler = new DescribeClusterHandler(_f.Publisher);
        var response = await BrokerFixture.Call<DescribeClusterRequest, DescribeClusterResponse>(handler, new DescribeClusterRequest(), 1);
        Assert.Equal((0, 1, _f.Publisher.Current.ClusterId), (response.ErrorCode, response.ControllerId, response.ClusterId));
        Assert.Equal(19092, Assert.Single(response.Brokers).Port);
        response = await BrokerFixture.Call<DescribeClusterRequest, DescribeClusterResponse>(handler, new DescribeClusterRequest { EndpointType = 9 }, 1);
        Assert.Equal((short)ErrorCode.UnsupportedEndpointType, response.ErrorCode);
    }
}
