using Gregor.Broker.Configuration;
using Gregor.Storage;

namespace Gregor.Broker.Tests.Configuration;

public sealed class BrokerConfigParserTests
{
    private static BrokerConfig Parse(params string[] assignments) =>
        BrokerConfigParser.Parse(assignments.Select(BrokerConfigParser.ParseOverride));

    private static BrokerConfigException Fails(params string[] assignments) =>
        Assert.Throws<BrokerConfigException>(() => Parse(assignments));

    [Fact]
    public void Nothing_given_is_kafkas_defaults_with_loopback_listener()
    {
        var config = Parse();
        Assert.Equal(1, config.NodeId);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "localhost", 9092)], config.Listeners);
        Assert.Equal(100 * 1024 * 1024, config.SocketRequestMaxBytes);
        Assert.Equal(LogConfig.Default, config.LogDefaults);
        Assert.Empty(config.Explicit);
    }

    [Fact]
    public void Every_broker_setting_is_read()
    {
        var config = Parse("node.id=7", "listeners=PLAINTEXT://:9093,internal://[::1]:9094", "advertised.listeners=PLAINTEXT://broker7:9093",
            "log.dirs=/a, /b", "num.partitions=3", "default.replication.factor=2", "auto.create.topics.enable=FALSE",
            "message.max.bytes=2000000", "socket.request.max.bytes=5000", "connections.max.idle.ms=1234");
        Assert.Equal(7, config.NodeId);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "", 9093), new ListenerEndpoint("INTERNAL", "::1", 9094)], config.Listeners);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "broker7", 9093)], config.EffectiveAdvertisedListeners);
        Assert.Equal(["/a", "/b"], config.LogDirs);
        Assert.Equal(3, config.NumPartitions);
        Assert.Equal(2, config.DefaultReplicationFactor);
        Assert.False(config.AutoCreateTopicsEnable);
        Assert.Equal(2_000_000, config.MessageMaxBytes);
        Assert.Equal(2_000_000, config.LogDefaults.MaxMessageBytes);
        Assert.Equal(5000, config.SocketRequestMaxBytes);
        Assert.Equal(1234, config.ConnectionsMaxIdleMs);
        Assert.Equal("7", config.Explicit["node.id"]);
    }

    [Fact]
    public void Log_settings_become_the_topic_defaults()
    {
        var config = Parse("log.segment.bytes=2097152", "log.retention.bytes=1000", "log.cleanup.policy=compact,delete",
            "log.index.interval.bytes=100", "log.flush.interval.messages=10", "log.flush.interval.ms=20",
            "log.cleaner.delete.retention.ms=30", "log.message.timestamp.type=LogAppendTime", "log.roll.hours=2");
        var log = config.LogDefaults;
        Assert.Equal(2097152, log.SegmentBytes);
        Assert.Equal(1000, log.RetentionBytes);
        Assert.True(log.Compact && log.Delete);
        Assert.Equal(100, log.IndexIntervalBytes);
        Assert.Equal(10, log.FlushMessages);
        Assert.Equal(20, log.FlushMs);
        Assert.Equal(30, log.DeleteRetentionMs);
        Assert.Equal(MessageTimestampType.LogAppendTime, log.MessageTimestampType);
        Assert.Equal(2 * 3_600_000L, log.SegmentMs);
    }

    [Theory]
    [InlineData(new[] { "log.retention.hours=2" }, 2 * 3_600_000L)]
    [InlineData(new[] { "log.retention.hours=2", "log.retention.minutes=3" }, 3 * 60_000L)]
    [InlineData(new[] { "log.retention.ms=5", "log.retention.hours=2", "log.retention.minutes=3" }, 5L)]
    [InlineData(new[] { "log.retention.hours=-1" }, -1L)]
    [InlineData(new[] { "log.retention.minutes=-1", "log.retention.hours=5" }, -1L)]
    [InlineData(new[] { "log.retention.ms=-1" }, -1L)]
    public void Retention_finest_unit_wins(string[] settings, long expectedMs) =>
        Assert.Equal(expectedMs, Parse(settings).LogDefaults.RetentionMs);

    [Fact]
    public void Roll_ms_wins_over_hours() =>
        Assert.Equal(99, Parse("log.roll.hours=3", "log.roll.ms=99").LogDefaults.SegmentMs);

    [Fact]
    public void Log_dirs_wins_over_log_dir()
    {
        Assert.Equal(["/x"], Parse("log.dir=/x").LogDirs);
        Assert.Equal(["/y"], Parse("log.dir=/x", "log.dirs=/y").LogDirs);
    }

    [Fact]
    public void Broker_id_is_an_alias_of_node_id()
    {
        Assert.Equal(4, Parse("broker.id=4").NodeId);
        Assert.Equal(4, Parse("broker.id=4", "node.id=4").NodeId);
        Assert.Contains("broker.id", Fails("broker.id=4", "node.id=5").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_wins_over_the_file()
    {
        string file = Path.Combine(Path.GetTempPath(), $"gregor-{Guid.NewGuid():N}.properties");
        File.WriteAllText(file, "num.partitions=3\nnode.id=2\n");
        try
        {
            var config = BrokerConfigParser.Load(file, ["num.partitions=8"]);
            Assert.Equal(8, config.NumPartitions);
            Assert.Equal(2, config.NodeId);
            Assert.Equal("8", config.Explicit["num.partitions"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_file_is_a_config_error() =>
        Assert.Contains("no-such.properties", Assert.Throws<BrokerConfigException>(() =>
            BrokerConfigParser.Load("/nonexistent/no-such.properties", [])).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("foo.bar=1", "foo.bar")]
    [InlineData("controller.quorum.append.linger.ms=25", "controller.quorum.append.linger.ms")]
    [InlineData("log.retention.days=1", "log.retention.days")]
    public void Unknown_settings_are_refused_by_name(string setting, string name)
    {
        var e = Fails(setting);
        Assert.Contains($"Unknown setting '{name}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node.id=abc", "node.id", "abc")]
    [InlineData("node.id=-1", "node.id", "-1")]
    [InlineData("broker.id=1.5", "broker.id", "1.5")]
    [InlineData("num.partitions=0", "num.partitions", "0")]
    [InlineData("num.partitions=99999999999", "num.partitions", "99999999999")]
    [InlineData("default.replication.factor=40000", "default.replication.factor", "40000")]
    [InlineData("default.replication.factor=0", "default.replication.factor", "0")]
    [InlineData("auto.create.topics.enable=yes", "auto.create.topics.enable", "yes")]
    [InlineData("message.max.bytes=-2", "message.max.bytes", "-2")]
    [InlineData("socket.request.max.bytes=5", "socket.request.max.bytes", "5")]
    [InlineData("socket.request.max.bytes=big", "socket.request.max.bytes", "big")]
    [InlineData("connections.max.idle.ms=0", "connections.max.idle.ms", "0")]
    [InlineData("log.retention.ms=-2", "log.retention.ms", "-2")]
    [InlineData("log.retention.minutes=x", "log.retention.minutes", "x")]
    [InlineData("log.retention.hours=1e3", "log.retention.hours", "1e3")]
    [InlineData("log.roll.ms=0", "log.roll.ms", "0")]
    [InlineData("log.roll.hours=0", "log.roll.hours", "0")]
    [InlineData("log.segment.bytes=100", "log.segment.bytes", "100")]
    [InlineData("log.retention.bytes=lots", "log.retention.bytes", "lots")]
    [InlineData("log.cleanup.policy=archive", "log.cleanup.policy", "archive")]
    [InlineData("log.index.interval.bytes=-1", "log.index.interval.bytes", "-1")]
    [InlineData("log.flush.interval.messages=0", "log.flush.interval.messages", "0")]
    [InlineData("log.flush.interval.ms=-5", "log.flush.interval.ms", "-5")]
    [InlineData("log.cleaner.delete.retention.ms=-1", "log.cleaner.delete.retention.ms", "-1")]
    [InlineData("log.message.timestamp.type=Now", "log.message.timestamp.type", "Now")]
    [InlineData("log.cleaner.min.cleanable.ratio=2", "log.cleaner.min.cleanable.ratio", "2")]
    [InlineData("log.dirs=,,", "log.dirs", ",,")]
    // The offsets topic is created with it as segment.bytes, which a topic may not set below 1 MiB.
    [InlineData("offsets.topic.segment.bytes=1048575", "offsets.topic.segment.bytes", "1048575")]
    public void Bad_values_name_the_setting_and_the_value(string setting, string name, string value)
    {
        var e = Fails(setting);
        Assert.Contains($"'{name}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("listeners=localhost:9092")]
    [InlineData("listeners=PLAINTEXT://localhost")]
    [InlineData("listeners=PLAINTEXT://localhost:70000")]
    [InlineData("listeners=PLAINTEXT://localhost:-1")]
    [InlineData("listeners=PLAINTEXT://::1:9092")]
    [InlineData("listeners=PLAINTEXT://[zz]:9092")]
    [InlineData("listeners=PLAIN TEXT://a:1")]
    [InlineData("listeners=PLAINTEXT://a:1,plaintext://b:2")]
    [InlineData("listeners=SSL://a:1")]
    [InlineData("listeners=")]
    public void Bad_listeners_are_refused(string setting)
    {
        var e = Fails(setting);
        Assert.Contains("'listeners'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Advertised_listeners_must_be_listeners_and_routable()
    {
        Assert.Contains("not among listeners", Fails("advertised.listeners=OTHER://h:1").Message, StringComparison.Ordinal);
        Assert.Contains("'advertised.listeners'", Fails("advertised.listeners=PLAINTEXT://0.0.0.0:9092").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cross_setting_rules_of_the_log_are_checked() =>
        Assert.Contains("log.cleaner.max.compaction.lag.ms",
            Fails("log.cleaner.min.compaction.lag.ms=100", "log.cleaner.max.compaction.lag.ms=50").Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("noequals")]
    [InlineData("=value")]
    public void Overrides_must_be_name_equals_value(string assignment) =>
        Assert.Throws<BrokerConfigException>(() => BrokerConfigParser.ParseOverride(assignment));

    [Fact]
    public void The_offsets_topic_has_kafkas_three_replicas_in_a_cluster_and_one_on_the_implicit_single_node_unless_set()
    {
        Assert.Equal(1, Parse().Groups.OffsetsTopicReplicationFactor);
        Assert.Equal(2, Parse("offsets.topic.replication.factor=2").Groups.OffsetsTopicReplicationFactor);
        var voter = Parse("listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093", "process.roles=broker,controller", "node.id=1",
            "controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER");
        Assert.Equal(3, voter.Groups.OffsetsTopicReplicationFactor);
    }

    [Fact]
    public void The_election_settings_are_known_and_checked()
    {
        Assert.Equal("2", Parse("min.insync.replicas=2", "unclean.leader.election.enable=true").Explicit["min.insync.replicas"]);
        Assert.Contains("min.insync.replicas", Fails("min.insync.replicas=0").Message, StringComparison.Ordinal);
        Assert.Contains("unclean.leader.election.enable", Fails("unclean.leader.election.enable=maybe").Message, StringComparison.Ordinal);
        Assert.Equal("0", Parse("eligible.leader.replicas.version=0").Explicit["eligible.leader.replicas.version"]);
        Assert.Contains("eligible.leader.replicas.version", Fails("eligible.leader.replicas.version=2").Message, StringComparison.Ordinal);
        Assert.Equal("60000", Parse("unclean.recovery.timeout.ms=60000").Explicit["unclean.recovery.timeout.ms"]);
        Assert.Contains("unclean.recovery.timeout.ms", Fails("unclean.recovery.timeout.ms=-1").Message, StringComparison.Ordinal);
    }
}
