using Gregor.Broker.Configuration;

namespace Gregor.Broker.Tests.Configuration;

/// <summary>The schedule of the broker's background log chores: Kafka's names, defaults and lower bounds.</summary>
public sealed class LogChoreSettingsTests
{
    private static BrokerConfig Parse(params string[] assignments) =>
        BrokerConfigParser.Parse(assignments.Select(BrokerConfigParser.ParseOverride));

    [Fact]
    public void Kafkas_defaults_run_retention_every_five_minutes_and_rest_the_cleaner_fifteen_seconds()
    {
        var config = Parse();
        Assert.Equal(300_000, config.LogRetentionCheckIntervalMs);
        Assert.Equal(15_000, config.LogCleanerBackoffMs);
    }

    [Fact]
    public void Both_are_read_and_kept_for_DescribeConfigs()
    {
        var config = Parse("log.retention.check.interval.ms=250", "log.cleaner.backoff.ms=0");
        Assert.Equal(250, config.LogRetentionCheckIntervalMs);
        Assert.Equal(0, config.LogCleanerBackoffMs);
        Assert.Equal("250", config.Explicit["log.retention.check.interval.ms"]);
    }

    [Theory]
    [InlineData("log.retention.check.interval.ms=0", "at least 1")]
    [InlineData("log.retention.check.interval.ms=soon", "not a 64-bit integer")]
    [InlineData("log.cleaner.backoff.ms=-1", "at least 0")]
    public void Out_of_range_values_stop_start_up_naming_the_setting(string assignment, string why)
    {
        var error = Assert.Throws<BrokerConfigException>(() => Parse(assignment));
        Assert.Contains(assignment[..assignment.IndexOf('=', StringComparison.Ordinal)], error.Message, StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }
}
