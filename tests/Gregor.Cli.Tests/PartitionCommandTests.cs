using Gregor.Client.Tests.Integration;

namespace Gregor.Cli.Tests;

/// <summary>gregor partition elect|reassign|reassignments with the real handlers against a broker in this process.</summary>
public sealed class PartitionCommandTests
{
    [Fact]
    public async Task Elections_and_moves_are_asked_of_the_controller_and_its_refusals_are_reported()
    {
        await using var broker = await ClientTestBroker.StartAsync("auto.create.topics.enable=false");
        string b = broker.Bootstrap;
        (await CliRun.RunAsync(b, "topic", "create", "t", "--partitions", "2", "--replication-factor", "1")).AssertOk();
        int node = (await CliRun.RunAsync(b, "topic", "describe", "t", "-o", "json")).Json().GetProperty("partitions")[0].GetProperty("leader").GetInt32();

        var described = (await CliRun.RunAsync(b, "topic", "describe", "t", "-o", "json")).Json().GetProperty("partitions");
        Assert.All(described.EnumerateArray(), p => Assert.False(p.GetProperty("offline").GetBoolean() || p.GetProperty("underReplicated").GetBoolean()));
        var filtered = (await CliRun.RunAsync(b, "topic", "describe", "t", "--under-replicated-partitions", "--unavailable-partitions", "-o", "json")).Json();
        Assert.Equal(2, filtered.GetProperty("partitionCount").GetInt32());
        Assert.Empty(filtered.GetProperty("partitions").EnumerateArray());
        Assert.Contains("Status", (await CliRun.RunAsync(b, "topic", "describe", "t")).Out, StringComparison.Ordinal);

        var preferred = await CliRun.RunAsync(b, "partition", "elect", "t", "--election-type", "preferred");
        preferred.AssertOk();
        Assert.Equal(["t-0: no election needed", "t-1: no election needed"], preferred.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var unclean = (await CliRun.RunAsync(b, "partition", "elect", "t", "--partition", "1", "--election-type", "unclean", "-o", "json")).Json();
        Assert.Equal("no election needed", Assert.Single(unclean.EnumerateArray()).GetProperty("outcome").GetString());
        var all = await CliRun.RunAsync(b, "partition", "elect", "--all-topic-partitions", "--election-type", "preferred");
        all.AssertOk();
        Assert.Equal("", all.Out.Trim());
        (await CliRun.RunAsync(b, "partition", "elect", "nope", "--election-type", "preferred")).AssertFailed("topic 'nope' does not exist");

        (await CliRun.RunAsync(b, "partition", "reassign", "t", "--partition", "0", "--replicas", $"{node},{node + 100}"))
            .AssertFailed($"broker {node + 100}, but no such broker is registered");
        (await CliRun.RunAsync(b, "partition", "reassign", "t", "--partition", "0", "--cancel")).AssertFailed("no reassignment in progress");
        (await CliRun.RunAsync(b, "partition", "reassign", "t", "--partition", "5", "--replicas", $"{node}")).AssertFailed("t-5");
        var same = await CliRun.RunAsync(b, "partition", "reassign", "t", "--partition", "0", "--replicas", $"{node}");
        same.AssertOk();
        Assert.Equal($"t-0: moving to {node}", same.Out.Trim());
        Assert.Empty((await CliRun.RunAsync(b, "partition", "reassignments", "-o", "json")).Json().EnumerateArray());
    }

    [Theory]
    [InlineData("partition", "reassign", "t", "--partition", "0")]
    [InlineData("partition", "reassign", "t", "--partition", "0", "--replicas", "1", "--cancel")]
    [InlineData("partition", "reassign", "t", "--partition", "0", "--replicas", "1,x")]
    [InlineData("partition", "elect", "--election-type", "preferred")]
    [InlineData("partition", "elect", "t", "--all-topic-partitions", "--election-type", "preferred")]
    [InlineData("partition", "elect", "t", "--election-type", "dirty")]
    public async Task Bad_arguments_exit_2(params string[] args)
    {
        var run = await CliRun.RunAsync("127.0.0.1:1", args);
        Assert.Equal(2, run.Exit);
    }
}
