using System.Text.Json;
using Gregor.Client;
using Gregor.Client.Tests.Integration;

namespace Gregor.Cli.Tests;

/// <summary>gregor topic, cluster info and offsets with the real handlers against a broker in this process.</summary>
public sealed class TopicCommandTests
{
    private static async Task ProduceAsync(string bootstrap, string topic, int partition, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        for (int i = 0; i < count; i++)
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = "v" + i });
    }

    [Fact]
    public async Task A_topic_is_created_listed_described_altered_grown_and_deleted()
    {
        await using var broker = await ClientTestBroker.StartAsync("auto.create.topics.enable=false");
        string b = broker.Bootstrap;

        var created = await CliRun.RunAsync(b, "topic", "create", "orders", "--partitions", "3", "--config", "retention.ms=3600000");
        created.AssertOk();
        Assert.Equal("Created topic orders.", created.Out.Trim());
        (await CliRun.RunAsync(b, "topic", "create", "orders")).AssertFailed("already exists");
        (await CliRun.RunAsync(b, "topic", "create", "orders", "--if-not-exists")).AssertOk();
        (await CliRun.RunAsync(b, "topic", "create", "empty", "--partitions", "1")).AssertOk();

        var listed = await CliRun.RunAsync(b, "topic", "list");
        listed.AssertOk();
        Assert.Equal(["empty", "orders"], listed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["empty", "orders"], (await CliRun.RunAsync(b, "topic", "list", "-o", "json")).Json().EnumerateArray().Select(e => e.GetString()));

        var table = await CliRun.RunAsync(b, "topic", "describe", "orders");
        table.AssertOk();
        Assert.Contains("Topic: orders  Partitions: 3  ReplicationFactor: 1", table.Out, StringComparison.Ordinal);
        Assert.Contains("retention.ms", table.Out, StringComparison.Ordinal);
        Assert.Contains("3600000", table.Out, StringComparison.Ordinal);
        var described = (await CliRun.RunAsync(b, "topic", "describe", "orders", "--output", "json")).Json();
        Assert.Equal(3, described.GetProperty("partitionCount").GetInt32());
        int brokerId = described.GetProperty("partitions")[0].GetProperty("leader").GetInt32();
        foreach (var p in described.GetProperty("partitions").EnumerateArray())
        {
            Assert.Equal(brokerId, p.GetProperty("leader").GetInt32());
            Assert.Equal([brokerId], p.GetProperty("replicas").EnumerateArray().Select(r => r.GetInt32()));
            Assert.Equal([brokerId], p.GetProperty("isr").EnumerateArray().Select(r => r.GetInt32()));
        }
        // Only settings that differ from the defaults, as kafka-topics --describe shows them.
        Assert.Equal(["retention.ms"], described.GetProperty("configs").EnumerateObject().Select(c => c.Name));

        var altered = await CliRun.RunAsync(b, "topic", "alter", "orders", "--config", "cleanup.policy=compact", "--delete-config", "retention.ms");
        altered.AssertOk();
        Assert.Contains("Altered topic orders", altered.Out, StringComparison.Ordinal);
        var configs = (await CliRun.RunAsync(b, "topic", "describe", "orders", "-o", "json")).Json().GetProperty("configs");
        Assert.Equal("compact", configs.GetProperty("cleanup.policy").GetString());
        Assert.False(configs.TryGetProperty("retention.ms", out _));
        (await CliRun.RunAsync(b, "topic", "alter", "orders", "--config", "retention.ms=soon")).AssertFailed("retention.ms");

        (await CliRun.RunAsync(b, "topic", "add-partitions", "orders", "--partitions", "5")).AssertOk();
        Assert.Equal(5, (await CliRun.RunAsync(b, "topic", "describe", "orders", "-o", "json")).Json().GetProperty("partitionCount").GetInt32());
        (await CliRun.RunAsync(b, "topic", "add-partitions", "orders", "--partitions", "2")).AssertFailed("gregor topic add-partitions: ");

        var deleted = await CliRun.RunAsync(b, "topic", "delete", "orders", "-o", "json");
        Assert.Equal("Deleted", deleted.Json().GetProperty("action").GetString());
        (await CliRun.RunAsync(b, "topic", "delete", "orders")).AssertFailed("topic 'orders' does not exist");
        (await CliRun.RunAsync(b, "topic", "delete", "orders", "--if-exists")).AssertOk();
        Assert.Equal(["empty"], (await CliRun.RunAsync(b, "topic", "list", "-o", "json")).Json().EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Describe_without_a_topic_describes_every_topic()
    {
        await using var broker = await ClientTestBroker.StartAsync("auto.create.topics.enable=false");
        string b = broker.Bootstrap;
        (await CliRun.RunAsync(b, "topic", "describe", "-o", "json")).Json().EnumerateArray().ToList().ForEach(t => Assert.Fail("no topic yet: " + t));
        (await CliRun.RunAsync(b, "topic", "create", "beta", "--partitions", "2", "--config", "retention.ms=3600000")).AssertOk();
        (await CliRun.RunAsync(b, "topic", "create", "alpha", "--partitions", "1")).AssertOk();

        var table = await CliRun.RunAsync(b, "topic", "describe");
        table.AssertOk();
        int alpha = table.Out.IndexOf("Topic: alpha  Partitions: 1  ReplicationFactor: 1", StringComparison.Ordinal);
        int beta = table.Out.IndexOf("Topic: beta  Partitions: 2  ReplicationFactor: 1", StringComparison.Ordinal);
        Assert.True(alpha >= 0 && beta > alpha, table.Out);
        Assert.Contains("3600000", table.Out[beta..], StringComparison.Ordinal);

        var described = (await CliRun.RunAsync(b, "topic", "describe", "--exclude-internal", "--output", "json")).Json().EnumerateArray().ToList();
        Assert.Equal(["alpha", "beta"], described.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal([1, 2], described.Select(t => t.GetProperty("partitions").GetArrayLength()));
        Assert.Equal("3600000", described[1].GetProperty("configs").GetProperty("retention.ms").GetString());
        Assert.Empty(described[0].GetProperty("configs").EnumerateObject());

        // One broker: nothing is under-replicated or unavailable, so no topic is listed (kafka-topics prints nothing either).
        var healthy = await CliRun.RunAsync(b, "topic", "describe", "--under-replicated-partitions", "--unavailable-partitions", "-o", "json");
        Assert.Empty(healthy.Json().EnumerateArray());
        var quiet = await CliRun.RunAsync(b, "topic", "describe", "--under-replicated-partitions");
        quiet.AssertOk();
        Assert.Equal("", quiet.Out.Trim());
        var invalid = await CliRun.RunAsync(b, "topic", "describe", "a/b"); // a name given is still checked
        Assert.Equal(2, invalid.Exit);
        Assert.Contains("'a/b' has '/'", invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_topics_fail_with_one_line_and_exit_1()
    {
        await using var broker = await ClientTestBroker.StartAsync("auto.create.topics.enable=false");
        string b = broker.Bootstrap;
        (await CliRun.RunAsync(b, "topic", "describe", "nope")).AssertFailed("gregor topic describe: topic 'nope' does not exist");
        (await CliRun.RunAsync(b, "topic", "alter", "nope", "--config", "retention.ms=1")).AssertFailed("topic 'nope' does not exist");
        (await CliRun.RunAsync(b, "topic", "add-partitions", "nope", "--partitions", "3")).AssertFailed("topic 'nope' does not exist");
        (await CliRun.RunAsync(b, "offsets", "nope")).AssertFailed("gregor offsets: topic 'nope' does not exist");
        (await CliRun.RunAsync(b, "topic", "create", "one")).AssertOk();
        (await CliRun.RunAsync(b, "offsets", "one", "--partition", "4")).AssertFailed("topic 'one' has no partition 4");
    }

    [Fact]
    public async Task Cluster_info_and_offsets_show_the_broker_and_each_partitions_bounds()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        string b = broker.Bootstrap;
        var info = await CliRun.RunAsync(b, "cluster", "info");
        info.AssertOk();
        Assert.Contains("Cluster: ", info.Out, StringComparison.Ordinal);
        Assert.Contains(broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), info.Out, StringComparison.Ordinal);
        var cluster = (await CliRun.RunAsync(b, "cluster", "info", "-o", "json")).Json();
        Assert.False(string.IsNullOrEmpty(cluster.GetProperty("clusterId").GetString()));
        var only = Assert.Single(cluster.GetProperty("brokers").EnumerateArray());
        Assert.Equal(broker.Port, only.GetProperty("port").GetInt32());
        Assert.Equal(only.GetProperty("id").GetInt32(), cluster.GetProperty("controllerId").GetInt32());

        (await CliRun.RunAsync(b, "topic", "create", "logs", "-p", "2")).AssertOk();
        await ProduceAsync(b, "logs", 1, 7);
        var offsets = (await CliRun.RunAsync(b, "offsets", "logs", "-o", "json")).Json().EnumerateArray().ToList();
        Assert.Equal([(0, 0L, 0L), (1, 0L, 7L)], offsets.Select(o => (o.GetProperty("partition").GetInt32(), o.GetProperty("earliest").GetInt64(), o.GetProperty("latest").GetInt64())));
        var one = await CliRun.RunAsync(b, "offsets", "logs", "--partition", "1");
        one.AssertOk();
        Assert.Contains("Earliest", one.Out, StringComparison.Ordinal);
        Assert.Matches(@"logs\s*│\s*1\s*│\s*0\s*│\s*7\s*│\s*7", one.Out);
    }

    [Fact]
    public async Task An_unreachable_broker_is_one_line_and_exit_1()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        string b = "127.0.0.1:" + port;
        foreach (string[] command in new[]
        {
            new[] { "topic", "list" }, ["topic", "describe", "t"], ["topic", "create", "t"], ["cluster", "info"], ["cluster", "describe"],
            ["cluster", "quorum"], ["cluster", "quorum", "--replication"], ["offsets", "t"],
            ["group", "list"], ["group", "describe", "g"], ["group", "reset-offsets", "g", "--all-topics", "--to-earliest"],
        })
        {
            var run = await CliRun.RunAsync(b, command);
            run.AssertFailed($"cannot reach the brokers at {b}");
        }
    }
}
