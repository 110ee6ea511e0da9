using System.Text.Json;
using Gregor.Client;
using Gregor.Client.Tests.Integration;

namespace Gregor.Cli.Tests;

/// <summary>gregor group with the real handlers against a broker in this process and a member driven by raw group requests.</summary>
public sealed class GroupCommandTests
{
    private static readonly string[] GroupBroker = ["group.initial.rebalance.delay.ms=0", "offsets.topic.num.partitions=3"];

    private static async Task ProduceAsync(string bootstrap, string topic, int partition, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        for (int i = 0; i < count; i++)
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = "v" + i });
    }

    private static Dictionary<int, JsonElement> ByPartition(JsonElement describe) =>
        describe.GetProperty("partitions").EnumerateArray().ToDictionary(p => p.GetProperty("partition").GetInt32());

    private static long? Long(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetInt64();

    [Fact]
    public async Task An_active_group_is_listed_and_described_with_lag_and_refuses_reset_and_delete()
    {
        await using var broker = await ClientTestBroker.StartAsync(GroupBroker);
        string b = broker.Bootstrap;
        (await CliRun.RunAsync(b, "topic", "create", "clicks", "-p", "2")).AssertOk();
        await ProduceAsync(b, "clicks", 0, 10);
        await ProduceAsync(b, "clicks", 1, 6);
        await using var member = await TestGroupMember.JoinAsync(broker.Port, "readers", new Dictionary<string, int[]> { ["clicks"] = [0, 1] }, "cli-member");
        Assert.Equal(0, await member.CommitAsync("clicks", 0, 4));

        var list = await CliRun.RunAsync(b, "group", "list");
        list.AssertOk();
        Assert.Equal(["readers"], list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var withState = await CliRun.RunAsync(b, "group", "list", "--state");
        Assert.Matches(@"readers\s*│\s*Stable", withState.Out);
        Assert.Empty((await CliRun.RunAsync(b, "group", "list", "--state", "Empty", "-o", "json")).Json().EnumerateArray());
        var listed = Assert.Single((await CliRun.RunAsync(b, "group", "list", "--state", "stable", "-o", "json")).Json().EnumerateArray());
        Assert.Equal("Stable", listed.GetProperty("state").GetString());

        var describe = (await CliRun.RunAsync(b, "group", "describe", "readers", "-o", "json")).Json();
        Assert.Equal("Stable", describe.GetProperty("state").GetString());
        var rows = ByPartition(describe);
        Assert.Equal((4L, 10L, 6L), (Long(rows[0], "currentOffset"), Long(rows[0], "logEndOffset"), Long(rows[0], "lag")));
        Assert.Equal(member.MemberId, rows[0].GetProperty("consumerId").GetString());
        Assert.Equal("cli-member", rows[0].GetProperty("clientId").GetString());
        Assert.Contains("127.0.0.1", rows[0].GetProperty("host").GetString(), StringComparison.Ordinal);
        // Assigned but never committed: no current offset and no lag, as kafka-consumer-groups shows "-".
        Assert.Equal(((long?)null, 6L, (long?)null), (Long(rows[1], "currentOffset"), Long(rows[1], "logEndOffset"), Long(rows[1], "lag")));
        Assert.Equal(member.MemberId, rows[1].GetProperty("consumerId").GetString());

        var table = await CliRun.RunAsync(b, "group", "describe", "readers");
        table.AssertOk();
        Assert.Contains("LOG-END-OFFSET", table.Out, StringComparison.Ordinal);
        Assert.Matches(@"readers\s*│\s*clicks\s*│\s*0\s*│\s*4\s*│\s*10\s*│\s*6\s*│\s*" + member.MemberId, table.Out);
        Assert.Matches(@"readers\s*│\s*clicks\s*│\s*1\s*│\s*-\s*│\s*6\s*│\s*-\s*│", table.Out);

        var members = (await CliRun.RunAsync(b, "group", "describe", "readers", "--members", "-o", "json")).Json();
        var m = Assert.Single(members.GetProperty("members").EnumerateArray());
        Assert.Equal("cli-member", m.GetProperty("clientId").GetString());
        Assert.Equal(2, m.GetProperty("assignment").GetArrayLength());
        Assert.Contains("clicks(0,1)", (await CliRun.RunAsync(b, "group", "describe", "readers", "--members", "--verbose")).Out, StringComparison.Ordinal);
        var state = (await CliRun.RunAsync(b, "group", "describe", "readers", "--state", "-o", "json")).Json();
        Assert.Equal(("Stable", "range", 1, $"127.0.0.1:{broker.Port}"), (state.GetProperty("state").GetString(), state.GetProperty("assignmentStrategy").GetString(),
            state.GetProperty("members").GetInt32(), state.GetProperty("coordinator").GetString()));

        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "clicks", "--to-earliest")).AssertFailed("offsets can only be reset while it has no active members");
        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "clicks", "--to-earliest", "--execute")).AssertFailed("is Stable with 1 member(s)");
        (await CliRun.RunAsync(b, "group", "delete", "readers")).AssertFailed("consumer group 'readers' is not empty");
        Assert.Equal(4L, Long(ByPartition((await CliRun.RunAsync(b, "group", "describe", "readers", "-o", "json")).Json())[0], "currentOffset"));
        (await CliRun.RunAsync(b, "group", "describe", "nobody")).AssertFailed("consumer group 'nobody' does not exist");

        // The group's offsets live in an internal topic, which --exclude-internal leaves out.
        Assert.Contains("__consumer_offsets", (await CliRun.RunAsync(b, "topic", "list")).Out, StringComparison.Ordinal);
        Assert.Equal(["clicks"], (await CliRun.RunAsync(b, "topic", "list", "--exclude-internal", "-o", "json")).Json().EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task An_inactive_groups_offsets_are_reset_by_dry_run_then_execute_and_the_group_deleted()
    {
        await using var broker = await ClientTestBroker.StartAsync(GroupBroker);
        string b = broker.Bootstrap;
        (await CliRun.RunAsync(b, "topic", "create", "clicks", "-p", "2")).AssertOk();
        await ProduceAsync(b, "clicks", 0, 10);
        await ProduceAsync(b, "clicks", 1, 6);
        await using (var member = await TestGroupMember.JoinAsync(broker.Port, "readers", new Dictionary<string, int[]> { ["clicks"] = [0, 1] }))
        {
            Assert.Equal(0, await member.CommitAsync("clicks", 0, 4));
            Assert.Equal(0, await member.CommitAsync("clicks", 1, 2));
            await member.LeaveAsync();
        }
        var idle = await CliRun.RunAsync(b, "group", "describe", "readers");
        Assert.Contains("Consumer group 'readers' has no active members.", idle.Out, StringComparison.Ordinal);

        // A dry run prints the plan and changes nothing.
        var dry = await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "clicks", "--to-earliest");
        dry.AssertOk();
        Assert.Contains("NEW-OFFSET", dry.Out, StringComparison.Ordinal);
        Assert.Matches(@"readers\s*│\s*clicks\s*│\s*0\s*│\s*4\s*│\s*0", dry.Out);
        Assert.Contains("--execute", dry.Error, StringComparison.Ordinal);
        var dryJson = (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--all-topics", "--to-earliest", "-o", "json")).Json();
        Assert.False(dryJson.GetProperty("executed").GetBoolean());
        Assert.Equal(4L, Long(ByPartition((await CliRun.RunAsync(b, "group", "describe", "readers", "-o", "json")).Json())[0], "currentOffset"));

        async Task<(long? P0, long? P1)> Committed()
        {
            var rows = ByPartition((await CliRun.RunAsync(b, "group", "describe", "readers", "-o", "json")).Json());
            return (Long(rows[0], "currentOffset"), Long(rows[1], "currentOffset"));
        }

        var executed = (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "clicks", "--to-offset", "100", "--execute", "-o", "json")).Json();
        Assert.True(executed.GetProperty("executed").GetBoolean());
        Assert.Equal((10L, 6L), await Committed()); // clamped to each log end
        Assert.Equal(0L, Long(ByPartition((await CliRun.RunAsync(b, "group", "describe", "readers", "-o", "json")).Json())[0], "lag"));
        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "clicks:0", "--shift-by", "-3", "--execute")).AssertOk();
        Assert.Equal((7L, 6L), await Committed());
        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--all-topics", "--to-datetime", "1970-01-01T00:00:00Z", "--execute")).AssertOk();
        Assert.Equal((0L, 0L), await Committed());
        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "clicks:1", "--to-datetime", "2999-01-01T00:00:00Z", "--execute")).AssertOk();
        Assert.Equal((0L, 6L), await Committed());
        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--all-topics", "--to-latest", "--execute")).AssertOk();
        Assert.Equal((10L, 6L), await Committed());

        // A new group: reset creates its offsets, as Kafka allows for a group that does not exist yet.
        (await CliRun.RunAsync(b, "group", "reset-offsets", "fresh", "--topic", "clicks", "--to-earliest", "--execute")).AssertOk();
        Assert.Equal("Empty", (await CliRun.RunAsync(b, "group", "describe", "fresh", "--state", "-o", "json")).Json().GetProperty("state").GetString());
        (await CliRun.RunAsync(b, "group", "reset-offsets", "newer", "--topic", "clicks", "--shift-by", "1")).AssertFailed("no committed offset to shift");
        (await CliRun.RunAsync(b, "group", "reset-offsets", "newer", "--all-topics", "--to-earliest")).AssertFailed("has no committed offsets");
        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "nope", "--to-earliest")).AssertFailed("topic 'nope' does not exist");
        (await CliRun.RunAsync(b, "group", "reset-offsets", "readers", "--topic", "clicks:5", "--to-earliest")).AssertFailed("topic 'clicks' has no partition 5");

        var deleted = await CliRun.RunAsync(b, "group", "delete", "readers");
        deleted.AssertOk();
        Assert.Equal("Deleted consumer group 'readers'.", deleted.Out.Trim());
        (await CliRun.RunAsync(b, "group", "describe", "readers")).AssertFailed("consumer group 'readers' does not exist");
        (await CliRun.RunAsync(b, "group", "delete", "readers")).AssertFailed("consumer group 'readers' does not exist");
        Assert.Equal(["fresh"], (await CliRun.RunAsync(b, "group", "list", "-o", "json")).Json().EnumerateArray().Select(g => g.GetProperty("groupId").GetString()));
    }
}
