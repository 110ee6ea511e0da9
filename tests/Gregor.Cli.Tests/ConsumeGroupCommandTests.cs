using Gregor.Client;
using Gregor.Client.Admin;
using Gregor.Client.Tests.Integration;

namespace Gregor.Cli.Tests;

/// <summary>gregor consume --group and perf consume --group with the real handlers against a broker in this process.</summary>
public sealed class ConsumeGroupCommandTests
{
    private static readonly string[] GroupBroker = ["group.initial.rebalance.delay.ms=0", "offsets.topic.num.partitions=1"];

    private static async Task ProduceAsync(string bootstrap, string topic, int partitions, int perPartition, int first = 0)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        for (int p = 0; p < partitions; p++)
            for (int i = first; i < first + perPartition; i++)
                await producer.ProduceAsync(new TopicPartition(topic, p), new Message<Null, string> { Value = $"p{p}-{i}" });
    }

    private static async Task<long[]> CommittedAsync(string bootstrap, string group, string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var asked = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        var result = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, asked)]);
        return [.. result.Single().Partitions.OrderBy(p => p.Partition.Value).Select(p => p.Offset.Value)];
    }

    [Fact]
    public async Task A_group_member_starts_where_the_group_committed_and_commits_what_it_printed()
    {
        await using var broker = await ClientTestBroker.StartAsync(GroupBroker);
        string b = broker.Bootstrap;
        (await CliRun.RunAsync(b, "topic", "create", "orders", "-p", "3")).AssertOk();
        await ProduceAsync(b, "orders", 3, 10);

        // Without --from-beginning a new group starts at the end (kafka-console-consumer's default): nothing to print.
        var fromEnd = await CliRun.RunAsync(b, "consume", "orders", "--group", "late", "--timeout-ms", "3000");
        fromEnd.AssertOk();
        Assert.Equal("", fromEnd.Out);

        var first = await CliRun.RunAsync(b, "consume", "orders", "--group", "readers", "--from-beginning", "--max-messages", "20", "--timeout-ms", "10000");
        first.AssertOk();
        Assert.Equal(20, first.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("Processed a total of 20 messages", first.Error, StringComparison.Ordinal);
        // Exactly what was printed is committed (the records printed per partition).
        var printed = first.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).GroupBy(l => l[1] - '0').ToDictionary(g => g.Key, g => g.Count());
        var committed = await CommittedAsync(b, "readers", "orders", 3);
        Assert.Equal(Enumerable.Range(0, 3).Select(p => (long)printed.GetValueOrDefault(p, 0)).Select(n => n == 0 ? Offset.UnsetValue : n), committed);

        // The next member of the group prints the other 10 and nothing twice, then the new ones.
        await ProduceAsync(b, "orders", 3, 2, first: 10);
        var second = await CliRun.RunAsync(b, "consume", "orders", "--group", "readers", "--from-beginning", "--timeout-ms", "3000");
        second.AssertOk();
        var all = first.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Concat(second.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(36, all.Count);
        Assert.Equal(36, all.Distinct().Count());
        long[] twelve = [12, 12, 12];
        Assert.Equal(twelve, await CommittedAsync(b, "readers", "orders", 3));

        var perf = await CliRun.RunAsync(b, "perf", "consume", "orders", "--messages", "36", "--group", "perf-readers", "--timeout-ms", "5000");
        perf.AssertOk();
        Assert.Equal(twelve, await CommittedAsync(b, "perf-readers", "orders", 3));
    }

    [Fact]
    public async Task From_beginning_and_auto_offset_reset_together_are_refused()
    {
        await using var broker = await ClientTestBroker.StartAsync(GroupBroker);
        (await CliRun.RunAsync(broker.Bootstrap, "topic", "create", "t", "-p", "1")).AssertOk();
        var run = await CliRun.RunAsync(broker.Bootstrap, "consume", "t", "--group", "g", "--from-beginning", "--consumer-property", "auto.offset.reset=latest");
        Assert.Equal(2, run.Exit);
        Assert.Contains("--from-beginning or auto.offset.reset", run.Error, StringComparison.Ordinal);
    }
}
