using Gregor.Cli.Commands;
using Gregor.Client.Admin;

namespace Gregor.Cli.Tests;

public sealed class GroupArgumentParsingTests
{
    private static Task<ParsedRun> Parse(params string[] args) => RecordingHandlers.ParseAsync(args);

    [Fact]
    public async Task Group_list_takes_an_optional_state_filter()
    {
        var plain = Assert.IsType<GroupListArgs>((await Parse("group", "list")).Args);
        Assert.Empty(plain.States);
        Assert.False(plain.ShowState);

        var stateColumn = Assert.IsType<GroupListArgs>((await Parse("group", "list", "--state")).Args);
        Assert.Empty(stateColumn.States);
        Assert.True(stateColumn.ShowState);

        var filtered = Assert.IsType<GroupListArgs>((await Parse("group", "list", "--state", "stable,Empty", "--state", "PreparingRebalance", "-o", "json")).Args);
        Assert.Equal([ConsumerGroupState.Stable, ConsumerGroupState.Empty, ConsumerGroupState.PreparingRebalance], filtered.States);
        Assert.Equal(OutputFormat.Json, filtered.Target.Output);
    }

    [Fact]
    public async Task Group_describe_shows_offsets_by_default_or_members_or_state()
    {
        var offsets = Assert.IsType<GroupDescribeArgs>((await Parse("group", "describe", "g1", "--bootstrap", "b:9")).Args);
        Assert.Equal(("g1", GroupDescribeView.Offsets, false, "b:9"), (offsets.Group, offsets.View, offsets.Verbose, offsets.Target.Bootstrap));
        Assert.Equal(GroupDescribeView.Offsets, Assert.IsType<GroupDescribeArgs>((await Parse("group", "describe", "g1", "--offsets")).Args).View);
        var members = Assert.IsType<GroupDescribeArgs>((await Parse("group", "describe", "g1", "--members", "--verbose")).Args);
        Assert.Equal((GroupDescribeView.Members, true), (members.View, members.Verbose));
        Assert.Equal(GroupDescribeView.State, Assert.IsType<GroupDescribeArgs>((await Parse("group", "describe", "g1", "--state")).Args).View);
        Assert.Equal("g1", Assert.IsType<GroupDeleteArgs>((await Parse("group", "delete", "g1")).Args).Group);
    }

    [Fact]
    public async Task Reset_offsets_takes_topics_or_all_topics_and_one_target_and_is_a_dry_run_unless_executed()
    {
        var earliest = Assert.IsType<GroupResetOffsetsArgs>((await Parse("group", "reset-offsets", "g", "--topic", "t", "--to-earliest")).Args);
        Assert.Equal(new ResetTarget(ResetKind.ToEarliest, 0), earliest.Reset);
        Assert.Equal([new TopicPartitionsSelection("t", null)], earliest.Topics);
        Assert.False(earliest.Execute);
        Assert.False(earliest.AllTopics);

        var some = Assert.IsType<GroupResetOffsetsArgs>((await Parse("group", "reset-offsets", "g", "--topic", "a:0,2", "--topic", "b", "--to-offset", "42", "--execute")).Args);
        Assert.Equal("a", some.Topics[0].Topic);
        Assert.Equal([0, 2], some.Topics[0].Partitions);
        Assert.Null(some.Topics[1].Partitions);
        Assert.Equal(new ResetTarget(ResetKind.ToOffset, 42), some.Reset);
        Assert.True(some.Execute);

        var back = Assert.IsType<GroupResetOffsetsArgs>((await Parse("group", "reset-offsets", "g", "--all-topics", "--shift-by", "-5", "--dry-run")).Args);
        Assert.True(back.AllTopics);
        Assert.Equal(new ResetTarget(ResetKind.ShiftBy, -5), back.Reset);
        Assert.False(back.Execute);

        var latest = Assert.IsType<GroupResetOffsetsArgs>((await Parse("group", "reset-offsets", "g", "--all-topics", "--to-latest")).Args);
        Assert.Equal(ResetKind.ToLatest, latest.Reset.Kind);

        var at = Assert.IsType<GroupResetOffsetsArgs>((await Parse("group", "reset-offsets", "g", "--all-topics", "--to-datetime", "2024-05-01T12:00:00.250Z")).Args);
        Assert.Equal(new ResetTarget(ResetKind.ToDatetime, DateTimeOffset.Parse("2024-05-01T12:00:00.250Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()), at.Reset);
        var zoned = Assert.IsType<GroupResetOffsetsArgs>((await Parse("group", "reset-offsets", "g", "--all-topics", "--to-datetime", "2024-05-01T14:00+02:00")).Args);
        Assert.Equal(at.Reset.Value - 250, zoned.Reset.Value);
    }

    [Theory]
    [InlineData("group list --state Sleeping", "--state: 'Sleeping' is not a group state")]
    [InlineData("group describe", "Required argument missing")]
    [InlineData("group describe g --members --state", "at most one of --offsets, --members and --state")]
    [InlineData("group describe g --verbose", "--verbose goes with --members")]
    [InlineData("group reset-offsets g --to-earliest", "give --topic (repeatable) or --all-topics")]
    [InlineData("group reset-offsets g --topic t --all-topics --to-earliest", "give --topic (repeatable) or --all-topics")]
    [InlineData("group reset-offsets g --topic t", "exactly one of --to-earliest")]
    [InlineData("group reset-offsets g --topic t --to-earliest --to-latest", "exactly one of --to-earliest")]
    [InlineData("group reset-offsets g --topic t --to-earliest --execute --dry-run", "--dry-run or --execute, not both")]
    [InlineData("group reset-offsets g --topic t:x --to-earliest", "'x' in 't:x' is not a partition number")]
    [InlineData("group reset-offsets g --topic bad/topic --to-earliest", "names use only letters")]
    [InlineData("group reset-offsets g --topic t --to-offset -1", "--to-offset")]
    [InlineData("group reset-offsets g --topic t --shift-by many", "--shift-by: 'many' is not a whole number")]
    [InlineData("group reset-offsets g --topic t --to-datetime yesterday", "--to-datetime: 'yesterday' is not an ISO-8601 date and time")]
    [InlineData("group frobnicate", "frobnicate")]
    public async Task Bad_group_arguments_exit_2_with_a_clear_line(string commandLine, string expected)
    {
        var run = await Parse(commandLine.Split(' '));
        Assert.Equal(GregorCli.BadArguments, run.Exit);
        Assert.Null(run.Args);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.StartsWith("gregor: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Group_help_lists_the_verbs_and_each_verb_its_flags()
    {
        var group = await Parse("group");
        Assert.Equal(GregorCli.BadArguments, group.Exit);
        Assert.Contains("reset-offsets", group.Out, StringComparison.Ordinal);
        foreach (var (verb, flag) in new[] { ("list", "--state"), ("describe", "--members"), ("delete", "group"), ("reset-offsets", "--to-datetime") })
        {
            var help = await Parse("group", verb, "--help");
            Assert.Equal(0, help.Exit);
            Assert.Contains(flag, help.Out, StringComparison.Ordinal);
        }
    }
}
