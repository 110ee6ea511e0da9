using Gregor.Metadata.Configs;
using Gregor.Metadata.Controller;
using Gregor.Protocol;

namespace Gregor.Metadata.Tests;

public sealed class ControllerConfigTests : IDisposable
{
    private readonly ControllerFixture _f = new();

    public void Dispose() => _f.Dispose();

    private Task<IReadOnlyList<Outcome>> AlterTopic(string topic, params ConfigChange[] changes) =>
        _f.Controller.IncrementalAlterConfigsAsync([new ConfigResourceChanges(ConfigResourceType.Topic, topic, changes)], validateOnly: false);

    [Fact]
    public async Task Append_and_subtract_work_on_list_configs_from_the_default()
    {
        await _f.CreateAsync("t");
        var r = await AlterTopic("t", new ConfigChange("cleanup.policy", ConfigOperationKind.Append, "compact"));
        Assert.Equal(ErrorCode.None, r[0].Error);
        Assert.Equal("delete,compact", _f.Image.Topic("t")!.Configs["cleanup.policy"]);
        r = await AlterTopic("t", new ConfigChange("cleanup.policy", ConfigOperationKind.Subtract, "delete"));
        Assert.Equal("compact", _f.Image.Topic("t")!.Configs["cleanup.policy"]);
        r = await AlterTopic("t", new ConfigChange("cleanup.policy", ConfigOperationKind.Subtract, "compact"));
        Assert.Equal(ErrorCode.InvalidConfig, r[0].Error);
        Assert.Equal("compact", _f.Image.Topic("t")!.Configs["cleanup.policy"]);
    }

    [Fact]
    public async Task Set_delete_and_errors()
    {
        await _f.CreateAsync("t");
        var r = await AlterTopic("t", new ConfigChange("retention.ms", ConfigOperationKind.Set, "5000"), new ConfigChange("segment.ms", ConfigOperationKind.Set, "6000"));
        Assert.Equal(ErrorCode.None, r[0].Error);
        r = await AlterTopic("t", new ConfigChange("retention.ms", ConfigOperationKind.Delete, null));
        Assert.False(_f.Image.Topic("t")!.Configs.ContainsKey("retention.ms"));
        Assert.Equal("6000", _f.Image.Topic("t")!.Configs["segment.ms"]);
        Assert.Equal(ErrorCode.InvalidConfig, (await AlterTopic("t", new ConfigChange("retention.ms", ConfigOperationKind.Append, "1")))[0].Error);
        Assert.Equal(ErrorCode.InvalidConfig, (await AlterTopic("t", new ConfigChange("bogus", ConfigOperationKind.Set, "1")))[0].Error);
        Assert.Equal(ErrorCode.InvalidConfig, (await AlterTopic("t", new ConfigChange("retention.ms", ConfigOperationKind.Set, "-5")))[0].Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (await AlterTopic("nope", new ConfigChange("retention.ms", ConfigOperationKind.Set, "1")))[0].Error);
    }

    [Fact]
    public async Task Alter_configs_replaces_the_whole_set()
    {
        await _f.CreateAsync("t", configs: [("retention.ms", "1000"), ("segment.ms", "2000")]);
        var r = await _f.Controller.AlterConfigsAsync([new ConfigResourceReplacement(ConfigResourceType.Topic, "t", [new("flush.ms", "10")])], false);
        Assert.Equal(ErrorCode.None, r[0].Error);
        Assert.Equal(["flush.ms"], _f.Image.Topic("t")!.Configs.Keys);
    }

    [Fact]
    public async Task Broker_configs_change_dynamically_per_broker_and_cluster_wide()
    {
        var r = await _f.Controller.IncrementalAlterConfigsAsync([
            new ConfigResourceChanges(ConfigResourceType.Broker, "", [new ConfigChange("log.retention.hours", ConfigOperationKind.Set, "2")]),
            new ConfigResourceChanges(ConfigResourceType.Broker, "1", [new ConfigChange("log.retention.ms", ConfigOperationKind.Set, "60000")]),
            new ConfigResourceChanges(ConfigResourceType.Broker, "1", [new ConfigChange("node.id", ConfigOperationKind.Set, "3")]),
            new ConfigResourceChanges(ConfigResourceType.Broker, "x", [new ConfigChange("log.retention.ms", ConfigOperationKind.Set, "1")]),
        ], false);
        Assert.Equal([ErrorCode.None, ErrorCode.None, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest], r.Select(o => o.Error));
        Assert.Equal("2", _f.Image.ClusterConfigs["log.retention.hours"]);
        Assert.Equal("60000", _f.Image.DynamicBrokerConfigs(1)["log.retention.ms"]);

        await _f.CreateAsync("t");
        var retention = ConfigDescriber.DescribeTopic(_f.Image, _f.Image.Topic("t")!, 1, new Dictionary<string, string>()).Single(c => c.Name == "retention.ms");
        Assert.Equal(("60000", ConfigSource.DynamicBrokerConfig), (retention.Value, retention.Source));
        Assert.Equal([ConfigSource.DynamicBrokerConfig, ConfigSource.DynamicDefaultBrokerConfig, ConfigSource.DefaultConfig], retention.Synonyms.Select(s => s.Source));
        var onOtherBroker = ConfigDescriber.DescribeTopic(_f.Image, _f.Image.Topic("t")!, 2, new Dictionary<string, string>()).Single(c => c.Name == "retention.ms");
        Assert.Equal(("7200000", ConfigSource.DynamicDefaultBrokerConfig), (onOtherBroker.Value, onOtherBroker.Source));
    }

    [Fact]
    public async Task Describe_reports_sources_and_synonyms_as_kafka()
    {
        await _f.CreateAsync("t", configs: ("segment.ms", "1234"));
        var statics = new Dictionary<string, string> { ["log.retention.minutes"] = "10" };
        var configs = ConfigDescriber.DescribeTopic(_f.Image, _f.Image.Topic("t")!, 1, statics).ToDictionary(c => c.Name);

        Assert.Equal(("1234", ConfigSource.DynamicTopicConfig), (configs["segment.ms"].Value, configs["segment.ms"].Source));
        Assert.Equal(["segment.ms", "log.roll.hours"], configs["segment.ms"].Synonyms.Select(s => s.Name));

        Assert.Equal(("600000", ConfigSource.StaticBrokerConfig), (configs["retention.ms"].Value, configs["retention.ms"].Source));
        Assert.Equal(["log.retention.minutes", "log.retention.hours"], configs["retention.ms"].Synonyms.Select(s => s.Name));

        var cleanup = configs["cleanup.policy"];
        Assert.Equal(("delete", ConfigSource.DefaultConfig, ConfigType.List), (cleanup.Value, cleanup.Source, cleanup.Type));
        Assert.Equal(["log.cleanup.policy"], cleanup.Synonyms.Select(s => s.Name));
        Assert.Equal("9223372036854775807", configs["flush.ms"].Value);
        Assert.Equal("1048588", configs["max.message.bytes"].Value);
        Assert.Equal("message.max.bytes", configs["max.message.bytes"].Synonyms.Single().Name);
    }
}
