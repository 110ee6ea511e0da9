using Gregor.Cli.Commands;
using Gregor.Client;

namespace Gregor.Cli.Tests;

public sealed class ArgumentParsingTests
{
    private static Task<ParsedRun> Parse(params string[] args) => RecordingHandlers.ParseAsync(args);

    [Fact]
    public async Task Topic_create_takes_kafkas_flags()
    {
        var run = await Parse("topic", "create", "orders", "--partitions", "6", "--replication-factor", "3",
            "--config", "retention.ms=1000", "--config", "cleanup.policy=compact,segment.bytes=1048576", "--bootstrap", "h1:9092,h2:9092");
        Assert.Equal(0, run.Exit);
        var args = Assert.IsType<TopicCreateArgs>(run.Args);
        Assert.Equal("orders", args.Topic);
        Assert.Equal(6, args.Partitions);
        Assert.Equal(3, args.ReplicationFactor);
        Assert.Equal("1000", args.Configs["retention.ms"]);
        Assert.Equal("compact", args.Configs["cleanup.policy"]);
        Assert.Equal("1048576", args.Configs["segment.bytes"]);
        Assert.Equal("h1:9092,h2:9092", args.Target.Bootstrap);
        Assert.Equal(OutputFormat.Table, args.Target.Output);
    }

    [Fact]
    public async Task Defaults_are_localhost_and_table_and_one_partition()
    {
        var args = Assert.IsType<TopicCreateArgs>((await Parse("topic", "create", "t")).Args);
        Assert.Equal("localhost:9092", args.Target.Bootstrap);
        Assert.Equal(1, args.Partitions);
        Assert.Equal(1, args.ReplicationFactor);
        Assert.Empty(args.Configs);
    }

    [Fact]
    public async Task Global_options_work_before_the_noun_and_kafkas_bootstrap_server_name_too()
    {
        var args = Assert.IsType<TopicListArgs>((await Parse("--output", "json", "--bootstrap-server", "b:1", "topic", "list")).Args);
        Assert.Equal(OutputFormat.Json, args.Target.Output);
        Assert.Equal("b:1", args.Target.Bootstrap);
    }

    [Theory]
    [InlineData("topic create t --partitions 0", "--partitions: 0 is not from 1")]
    [InlineData("topic create t --partitions many", "many")]
    [InlineData("topic create bad/name", "names use only letters")]
    [InlineData("topic create t --config retention.ms", "'retention.ms' is not name=value")]
    [InlineData("topic create t --bootstrap nohostport", "--bootstrap")]
    [InlineData("topic list --output xml", "xml")]
    [InlineData("topic alter t", "nothing to change")]
    [InlineData("topic add-partitions t", "--partitions")]
    [InlineData("consume t --offset soon", "'soon' is not earliest, latest or an offset number")]
    [InlineData("consume t --offset 5", "--offset with a number needs --partition")]
    [InlineData("consume t --offset 5 --partition 0 --from-beginning", "give one of --from-beginning, --from-timestamp or --offset")]
    [InlineData("consume t --from-timestamp yesterday", "neither Unix milliseconds nor an ISO 8601")]
    [InlineData("consume t --group g --partition 0", "--group shares the topic's partitions")]
    [InlineData("consume t --group g --offset earliest", "--group shares the topic's partitions")]
    [InlineData("consume t --group g --from-timestamp 1700000000000", "--group shares the topic's partitions")]
    [InlineData("produce t --acks 2", "--acks: '2'")]
    [InlineData("produce t --compression-codec brotli", "--compression-codec: 'brotli'")]
    [InlineData("perf produce t --num-records 10 --throughput 0", "--throughput")]
    [InlineData("perf produce t", "--num-records")]
    [InlineData("perf produce t --num-records 10 --duration 5s", "either --num-records or --duration")]
    [InlineData("perf produce t --num-records 0", "--num-records: '0'")]
    [InlineData("perf produce t --num-records 10 --warmup-records 10", "--warmup-records")]
    [InlineData("perf produce t --duration 5s --warmup-records -1", "--warmup-records")]
    [InlineData("perf produce t --duration 0", "--duration: '0'")]
    [InlineData("perf produce t --duration soon", "--duration: 'soon'")]
    [InlineData("perf produce t --duration 5x", "--duration: '5x'")]
    [InlineData("topic frobnicate", "frobnicate")]
    public async Task Bad_arguments_exit_2_with_a_clear_line(string commandLine, string expected)
    {
        var run = await Parse(commandLine.Split(' '));
        Assert.Equal(GregorCli.BadArguments, run.Exit);
        Assert.Null(run.Args);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.StartsWith("gregor: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_is_available_everywhere()
    {
        foreach (string[] line in new[] { new[] { "--help" }, ["topic", "--help"], ["topic", "create", "--help"], ["perf", "produce", "--help"], ["consume", "-h"] })
        {
            var run = await Parse(line);
            Assert.Equal(0, run.Exit);
            Assert.Contains("Usage:", run.Out, StringComparison.Ordinal);
        }
        Assert.Contains("--replication-factor", (await Parse("topic", "create", "--help")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_noun_without_a_verb_prints_its_help_and_fails()
    {
        var run = await Parse("topic");
        Assert.Equal(GregorCli.BadArguments, run.Exit);
        Assert.Contains("add-partitions", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Topic_alter_delete_and_add_partitions()
    {
        var alter = Assert.IsType<TopicAlterArgs>((await Parse("topic", "alter", "t", "--config", "retention.ms=5", "--delete-config", "segment.ms")).Args);
        Assert.Equal("5", alter.SetConfigs["retention.ms"]);
        Assert.Equal(["segment.ms"], alter.DeleteConfigs);
        var delete = Assert.IsType<TopicDeleteArgs>((await Parse("topic", "delete", "t", "--if-exists")).Args);
        Assert.True(delete.IfExists);
        var add = Assert.IsType<TopicAddPartitionsArgs>((await Parse("topic", "add-partitions", "t", "--partitions", "12")).Args);
        Assert.Equal(12, add.TotalPartitions);
        Assert.Equal("t", Assert.IsType<TopicDescribeArgs>((await Parse("topic", "describe", "t")).Args).Topic);
        var every = Assert.IsType<TopicDescribeArgs>((await Parse("topic", "describe", "--exclude-internal", "--under-replicated-partitions")).Args);
        Assert.Equal((null, true, true), (every.Topic, every.ExcludeInternal, every.UnderReplicatedOnly));
        Assert.IsType<ClusterInfoArgs>((await Parse("cluster", "info")).Args);
        Assert.Equal(3, Assert.IsType<OffsetsArgs>((await Parse("offsets", "t", "--partition", "3")).Args).Partition);
    }

    [Fact]
    public async Task Produce_reads_key_separator_from_flag_or_property()
    {
        var byFlag = Assert.IsType<ProduceArgs>((await Parse("produce", "t", "--key-separator", ":", "--acks", "1", "--compression-codec", "zstd")).Args);
        Assert.True(byFlag.Format.ParseKey);
        Assert.Equal(":", byFlag.Format.KeySeparator);
        Assert.Equal(Acks.Leader, byFlag.Acks);
        Assert.Equal(CompressionType.Zstd, byFlag.Compression);

        var byProperty = Assert.IsType<ProduceArgs>((await Parse("produce", "t", "--property", "parse.key=true", "--property", "key.separator=\\t")).Args);
        Assert.True(byProperty.Format.ParseKey);
        Assert.Equal("\t", byProperty.Format.KeySeparator);

        var plain = Assert.IsType<ProduceArgs>((await Parse("produce", "t", "--producer-property", "linger.ms=0")).Args);
        Assert.False(plain.Format.ParseKey);
        Assert.Equal(Acks.All, plain.Acks);
        Assert.Equal("0", plain.ProducerProperties["linger.ms"]);
    }

    [Fact]
    public async Task Produce_reads_header_parsing_static_headers_and_an_input_file()
    {
        var args = Assert.IsType<ProduceArgs>((await Parse("produce", "t", "--property", "parse.headers=true", "--property", "headers.delimiter=|",
            "--property", "null.marker=NULL", "-H", "source=cli", "--header", "trace=a=b", "--file", "in.txt")).Args);
        Assert.True(args.Format.ParseHeaders);
        Assert.Equal("|", args.Format.HeadersDelimiter);
        Assert.Equal(",", args.Format.HeadersSeparator);
        Assert.Equal(":", args.Format.HeadersKeySeparator);
        Assert.Equal("NULL", args.Format.NullMarker);
        Assert.Equal([new("source", "cli"), new KeyValuePair<string, string>("trace", "a=b")], args.Format.ExtraHeaders);
        Assert.Equal("in.txt", args.InputFile);

        Assert.NotEqual(0, (await Parse("produce", "t", "--header", "no-equals-sign")).Exit);
        Assert.NotEqual(0, (await Parse("produce", "t", "--property", "headers.separator=")).Exit);
    }

    [Fact]
    public async Task Consume_start_positions_and_limits()
    {
        var fromEnd = Assert.IsType<ConsumeArgs>((await Parse("consume", "t")).Args);
        Assert.Equal(Offset.End, fromEnd.StartOffset);
        Assert.Null(fromEnd.MaxMessages);

        var fromBeginning = Assert.IsType<ConsumeArgs>((await Parse("consume", "t", "--from-beginning", "--max-messages", "10")).Args);
        Assert.Equal(Offset.Beginning, fromBeginning.StartOffset);
        Assert.Equal(10, fromBeginning.MaxMessages);
        Assert.Null(fromBeginning.GroupId);

        var member = Assert.IsType<ConsumeArgs>((await Parse("consume", "t", "--group", "readers", "--from-beginning")).Args);
        Assert.Equal(("readers", Offset.Beginning), (member.GroupId, member.StartOffset));

        var at = Assert.IsType<ConsumeArgs>((await Parse("consume", "t", "--partition", "2", "--offset", "42", "--count", "3",
            "--property", "print.key=true", "--property", "print.offset=true", "--timeout-ms", "1500")).Args);
        Assert.Equal(new Offset(42), at.StartOffset);
        Assert.Equal(2, at.Partition);
        Assert.Equal(3, at.MaxMessages);
        Assert.True(at.Print.Key);
        Assert.True(at.Print.Offset);
        Assert.False(at.Print.Timestamp);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), at.Timeout);
        Assert.Null(at.StartTimestamp);

        var byMillis = Assert.IsType<ConsumeArgs>((await Parse("consume", "t", "--from-timestamp", "1700000000000", "--timeout", "200")).Args);
        Assert.Equal(1_700_000_000_000, byMillis.StartTimestamp);
        Assert.Equal(TimeSpan.FromMilliseconds(200), byMillis.Timeout);
        var byDate = Assert.IsType<ConsumeArgs>((await Parse("consume", "t", "--from-timestamp", "2023-11-14T22:13:20Z")).Args);
        Assert.Equal(1_700_000_000_000, byDate.StartTimestamp);
        var unzoned = Assert.IsType<ConsumeArgs>((await Parse("consume", "t", "--from-timestamp", "2023-11-14 22:13:20")).Args);
        Assert.Equal(1_700_000_000_000, unzoned.StartTimestamp); // UTC unless an offset is given
    }

    [Fact]
    public async Task Perf_flags_match_kafkas_perf_tools()
    {
        var produce = Assert.IsType<PerfProduceArgs>((await Parse("perf", "produce", "t", "--num-records", "1000", "--record-size", "512", "--throughput", "200", "--producer-props", "batch.size=65536")).Args);
        Assert.Equal(1000, produce.NumRecords);
        Assert.Equal(512, produce.RecordSize);
        Assert.Equal(200, produce.Throughput);
        Assert.Equal("65536", produce.ProducerProperties["batch.size"]);
        Assert.Null(produce.Duration);
        Assert.Equal(0, produce.WarmupRecords);
        Assert.Equal(250, Assert.IsType<PerfProduceArgs>((await Parse("perf", "produce", "t", "--duration", "5s", "--warmup-records", "250")).Args).WarmupRecords);
        var consume = Assert.IsType<PerfConsumeArgs>((await Parse("perf", "consume", "t", "--messages", "50")).Args);
        Assert.Equal(50, consume.NumRecords);
        Assert.Null(consume.GroupId);
        Assert.Equal("readers", Assert.IsType<PerfConsumeArgs>((await Parse("perf", "consume", "t", "--messages", "5", "--group", "readers")).Args).GroupId);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("30", 30_000)]
    [InlineData("1.5", 1_500)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    public async Task Perf_produce_runs_for_a_duration_instead_of_a_count(string duration, double milliseconds)
    {
        var args = Assert.IsType<PerfProduceArgs>((await Parse("perf", "produce", "t", "--duration", duration, "--acks", "1", "--compression-codec", "lz4")).Args);
        Assert.Null(args.NumRecords);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), args.Duration);
        Assert.Equal(Acks.Leader, args.Acks);
        Assert.Equal(CompressionType.Lz4, args.Compression);
        Assert.Equal(-1, args.Throughput);
    }

    [Theory]
    [InlineData("table", true, true)]
    [InlineData("table", false, false)]
    [InlineData("json", true, false)]
    [InlineData("json", false, false)]
    public void Perf_progress_is_drawn_only_for_tables_on_a_terminal(string format, bool terminal, bool drawn) =>
        Assert.Equal(drawn, Gregor.Cli.Perf.PerfProgress.Wanted(Enum.Parse<OutputFormat>(format, ignoreCase: true), terminal));

    [Theory]
    [InlineData("a.b_c-1", null)]
    [InlineData(".", "not allowed")]
    [InlineData("with space", "names use only")]
    public void Topic_names_follow_kafkas_rules(string topic, string? problem)
    {
        string? why = OptionChecks.TopicNameProblem(topic);
        if (problem is null) Assert.Null(why);
        else Assert.Contains(problem, why, StringComparison.Ordinal);
        Assert.Contains("249", OptionChecks.TopicNameProblem(new string('a', 250)), StringComparison.Ordinal);
    }
}
