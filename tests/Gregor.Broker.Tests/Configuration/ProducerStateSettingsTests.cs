using Gregor.Broker.Configuration;

namespace Gregor.Broker.Tests.Configuration;

/// <summary>producer.id.expiration.ms (Kafka's name and default) and producer.state.max.entries (Gregor's cap).</summary>
public sealed class ProducerStateSettingsTests
{
    private static BrokerConfig Parse(params string[] assignments) =>
        BrokerConfigParser.Parse(assignments.Select(BrokerConfigParser.ParseOverride));

    [Fact]
    public void Defaults_are_a_day_and_half_a_million_entries()
    {
        var config = Parse();
        Assert.Equal(86_400_000, config.ProducerIdExpirationMs);
        Assert.Equal(500_000, config.ProducerStateMaxEntries);
    }

    [Fact]
    public void Both_are_read_and_kept_for_DescribeConfigs()
    {
        var config = Parse("producer.id.expiration.ms=60000", "producer.state.max.entries=7");
        Assert.Equal((60_000L, 7), (config.ProducerIdExpirationMs, config.ProducerStateMaxEntries));
        Assert.Equal("7", config.Explicit["producer.state.max.entries"]);
    }

    [Theory]
    [InlineData("producer.id.expiration.ms=0", "at least 1")]
    [InlineData("producer.state.max.entries=0", "at least 1")]
    [InlineData("producer.state.max.entries=lots", "not a 32-bit integer")]
    public void Out_of_range_values_stop_start_up_naming_the_setting(string assignment, string why)
    {
        var error = Assert.Throws<BrokerConfigException>(() => Parse(assignment));
        Assert.Contains(assignment[..assignment.IndexOf('=', StringComparison.Ordinal)], error.Message, StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }
}
