namespace Gregor.Storage.Tests;

public sealed class ConfigTests
{
    [Fact]
    public void Defaults_are_kafkas()
    {
        IReadOnlyDictionary<string, string> defaults = LogConfig.Default.ToProperties();
        Assert.Equal("1073741824", defaults["segment.bytes"]);
        Assert.Equal("604800000", defaults["segment.ms"]);
        Assert.Equal("10485760", defaults["segment.index.bytes"]);
        Assert.Equal("4096", defaults["index.interval.bytes"]);
        Assert.Equal("604800000", defaults["retention.ms"]);
        Assert.Equal("-1", defaults["retention.bytes"]);
        Assert.Equal("delete", defaults["cleanup.policy"]);
        Assert.Equal("86400000", defaults["delete.retention.ms"]);
        Assert.Equal("0", defaults["min.compaction.lag.ms"]);
        Assert.Equal("9223372036854775807", defaults["max.compaction.lag.ms"]);
        Assert.Equal("0.5", defaults["min.cleanable.dirty.ratio"]);
        Assert.Equal("9223372036854775807", defaults["flush.messages"]);
        Assert.Equal("9223372036854775807", defaults["flush.ms"]);
        Assert.Equal("60000", defaults["file.delete.delay.ms"]);
        Assert.Equal("CreateTime", defaults["message.timestamp.type"]);
        Assert.Equal("1048588", defaults["max.message.bytes"]);
    }

    [Fact]
    public void Properties_parse_by_kafka_names_and_round_trip()
    {
        var config = LogConfig.FromProperties(new Dictionary<string, string>
        {
            ["segment.bytes"] = "2097152",
            ["cleanup.policy"] = "compact, delete",
            ["min.cleanable.dirty.ratio"] = "0.1",
            ["message.timestamp.type"] = "LogAppendTime",
            ["retention.ms"] = "-1",
            ["compression.type"] = "zstd",
        });
        Assert.Equal(2097152, config.SegmentBytes);
        Assert.True(config.Compact && config.Delete);
        Assert.Equal(0.1, config.MinCleanableDirtyRatio);
        Assert.Equal(MessageTimestampType.LogAppendTime, config.MessageTimestampType);
        Assert.Equal(-1, config.RetentionMs);
        Assert.Equal(config, LogConfig.FromProperties(config.ToProperties()));
    }

    [Theory]
    [InlineData("segment.bytes", "1000")]
    [InlineData("segment.bytes", "lots")]
    [InlineData("segment.ms", "0")]
    [InlineData("retention.ms", "-2")]
    [InlineData("cleanup.policy", "archive")]
    [InlineData("cleanup.policy", "")]
    [InlineData("min.cleanable.dirty.ratio", "1.5")]
    [InlineData("flush.messages", "0")]
    [InlineData("message.timestamp.type", "WallClock")]
    [InlineData("max.compaction.lag.ms", "0")]
    public void Bad_values_are_rejected_with_their_name(string name, string value)
    {
        var error = Assert.Throws<InvalidLogConfigException>(() => LogConfig.FromProperties([new(name, value)]));
        Assert.Equal(name, error.Name);
    }

    [Fact]
    public void Internal_segment_bytes_allows_small_segments_as_kafka_does_for_tests()
    {
        var config = LogConfig.FromProperties([new("segment.bytes", "1048576"), new("internal.segment.bytes", "1000")]);
        Assert.Equal(1000, config.SegmentBytes);
        Assert.Throws<InvalidLogConfigException>(() => LogConfig.FromProperties([new("min.compaction.lag.ms", "100"), new("max.compaction.lag.ms", "50")]));
    }

    [Fact]
    public void Config_changes_apply_live_to_an_open_log()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20), time);
        for (int i = 0; i < 10; i++)
            log.Append(TestBatches.Simple(2, time.NowMs));
        Assert.Single(log.Segments);

        log.UpdateConfig(log.Config with { SegmentBytes = 300 });
        for (int i = 0; i < 10; i++)
            log.Append(TestBatches.Simple(2, time.NowMs));
        Assert.True(log.Segments.Count > 3);

        log.UpdateHighWatermark(log.LogEndOffset);
        time.AdvanceMs(10_000);
        Assert.Equal(0, log.ApplyRetention());
        log.UpdateConfig(log.Config with { RetentionMs = 5_000 });
        Assert.True(log.ApplyRetention() > 0);

        log.UpdateConfig(log.Config with { MessageTimestampType = MessageTimestampType.LogAppendTime });
        Assert.Equal(time.NowMs, log.Append(TestBatches.Simple(1, 5)).LogAppendTime);
        Assert.Throws<InvalidLogConfigException>(() => log.UpdateConfig(log.Config with { SegmentMs = 0 }));
    }
}
