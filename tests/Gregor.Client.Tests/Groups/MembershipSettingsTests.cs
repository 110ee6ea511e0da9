using Gregor.Client.Groups;

namespace Gregor.Client.Tests.Groups;

/// <summary>The membership's settings come from the consumer config by Kafka's names, with Java's defaults.</summary>
public sealed class MembershipSettingsTests
{
    [Fact]
    public void Defaults_are_the_java_consumers()
    {
        var settings = MembershipSettings.From(new ConsumerConfig { GroupId = "g" });
        Assert.Equal(TimeSpan.FromSeconds(45), settings.SessionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.MaxPollInterval);
        Assert.Equal(TimeSpan.FromSeconds(305), settings.JoinTimeout);
        Assert.Equal(["range", "cooperative-sticky"], settings.Assignors.Select(a => a.Name));
        Assert.Null(settings.GroupInstanceId);
        Assert.Null(settings.RackId);
        Assert.True(settings.ExcludeInternalTopics);
    }

    [Fact]
    public void Settings_are_read_by_their_kafka_names()
    {
        var config = new ConsumerConfig { GroupId = "g", GroupInstanceId = "i-1", SessionTimeoutMs = 10_000, HeartbeatIntervalMs = 1_000, MaxPollIntervalMs = 60_000 };
        config.Set("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        config.Set("client.rack", "eu-1a");
        config.Set("retry.backoff.ms", "50");
        config.Set("exclude.internal.topics", "false");
        var settings = MembershipSettings.From(config);
        Assert.Equal("i-1", settings.GroupInstanceId);
        Assert.Equal("eu-1a", settings.RackId);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.SessionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), settings.MaxPollInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.RetryBackoff);
        Assert.False(settings.ExcludeInternalTopics);
        Assert.Equal(["cooperative-sticky"], settings.Assignors.Select(a => a.Name));
        Assert.Equal(RebalanceProtocol.Cooperative, PartitionAssignors.ProtocolOf(settings.Assignors));
    }

    [Fact]
    public void Membership_needs_a_group_and_speaks_only_the_classic_protocol()
    {
        Assert.Throws<ArgumentException>(() => MembershipSettings.From(new ConsumerConfig()));
        var config = new ConsumerConfig { BootstrapServers = "localhost:9092", GroupId = "g" };
        config.Set("group.protocol", "consumer");
        var e = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.Contains("group.protocol", e.Message, StringComparison.Ordinal);
        config.Set("group.protocol", "classic");
        config.Validate();
    }
}
