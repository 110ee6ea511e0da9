using System.CommandLine;
using System.Globalization;

namespace Gregor.Cli.Commands;

/// <summary><c>gregor group list|describe|delete|reset-offsets</c>, shaped like kafka-consumer-groups.</summary>
internal static class GroupCommands
{
    public static Command Create(GlobalOptions global, ICommandHandlers handlers) =>
        new("group", "List, describe and delete consumer groups, and reset their offsets.")
        {
            ListCommand(global, handlers), DescribeCommand(global, handlers), DeleteCommand(global, handlers), ResetOffsetsCommand(global, handlers),
        };

    private static Argument<string> GroupArgument()
    {
        var argument = new Argument<string>("group") { Description = "The group id." };
        argument.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>())) result.AddError("group: the id is empty");
        });
        return argument;
    }

    private static Command ListCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var state = new Option<string[]>("--state")
        {
            Description = "Show each group's state; with states (comma-separated: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead), only groups in them.",
            HelpName = "state",
            Arity = ArgumentArity.ZeroOrMore,
        }.Check(v => { GroupArgParsers.States([v], out string? e); return e; });
        var command = new Command("list", "List consumer groups.") { state };
        command.SetAction((parse, ct) => handlers.GroupListAsync(new GroupListArgs(global.Bind(parse),
            GroupArgParsers.States(parse.GetValue(state) ?? [], out _), parse.GetResult(state) is not null), ct));
        return command;
    }

    private static Command DescribeCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var group = GroupArgument();
        var offsets = new Option<bool>("--offsets") { Description = "Each partition's committed offset, log-end offset and lag, with its member (the default)." };
        var members = new Option<bool>("--members") { Description = "The group's members: id, host, client id and how many partitions each has." };
        var verbose = new Option<bool>("--verbose") { Description = "With --members: each member's partitions too." };
        var state = new Option<bool>("--state") { Description = "The group's coordinator, assignor, state and member count." };
        var command = new Command("describe", "Describe a consumer group: its partitions and lag, its members or its state.")
        {
            group, offsets, members, verbose, state,
        };
        command.Validators.Add(result =>
        {
            int views = (result.GetValue(offsets) ? 1 : 0) + (result.GetValue(members) ? 1 : 0) + (result.GetValue(state) ? 1 : 0);
            if (views > 1) result.AddError("group describe: give at most one of --offsets, --members and --state");
            if (result.GetValue(verbose) && !result.GetValue(members)) result.AddError("group describe: --verbose goes with --members");
        });
        command.SetAction((parse, ct) =>
        {
            var view = parse.GetValue(members) ? GroupDescribeView.Members : parse.GetValue(state) ? GroupDescribeView.State : GroupDescribeView.Offsets;
            return handlers.GroupDescribeAsync(new GroupDescribeArgs(global.Bind(parse), parse.GetValue(group)!, view, parse.GetValue(verbose)), ct);
        });
        return command;
    }

    private static Command DeleteCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var group = GroupArgument();
        var command = new Command("delete", "Delete a consumer group without members, and its committed offsets.") { group };
        command.SetAction((parse, ct) => handlers.GroupDeleteAsync(new GroupDeleteArgs(global.Bind(parse), parse.GetValue(group)!), ct));
        return command;
    }

    private static Command ResetOffsetsCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var group = GroupArgument();
        var topic = new Option<string[]>("--topic")
        {
            Description = "A topic to reset, or topic:0,1,2 for some of its partitions. Repeatable.",
            HelpName = "topic[:partitions]",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        }.Check(v => { GroupArgParsers.TopicSelection(v, out string? e); return e; });
        var allTopics = new Option<bool>("--all-topics") { Description = "Reset every partition the group has a committed offset for." };
        var toEarliest = new Option<bool>("--to-earliest") { Description = "To each partition's earliest offset." };
        var toLatest = new Option<bool>("--to-latest") { Description = "To each partition's log-end offset." };
        var toDatetime = new Option<string?>("--to-datetime")
        {
            Description = "To the first offset at or after this time (ISO-8601, e.g. 2024-05-01T12:00:00.000Z; no zone: local time).",
            HelpName = "datetime",
        }.Check(v => { GroupArgParsers.Datetime(v, out string? e); return e; });
        var toOffset = new Option<long?>("--to-offset")
        {
            Description = "To this offset, kept within each partition's earliest and log-end offsets.",
            HelpName = "offset",
        }.Check(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : $"--to-offset: '{v}' is not an offset (0 or more)");
        var shiftBy = new Option<long?>("--shift-by")
        {
            Description = "Move each committed offset by this much (negative: back), kept within the earliest and log-end offsets.",
            HelpName = "n",
        }.Check(v => long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : $"--shift-by: '{v}' is not a whole number");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the new offsets without applying them (the default)." };
        var execute = new Option<bool>("--execute") { Description = "Apply the new offsets." };
        var command = new Command("reset-offsets", "Move a consumer group's committed offsets; the group must have no active members.")
        {
            group, topic, allTopics, toEarliest, toLatest, toDatetime, toOffset, shiftBy, dryRun, execute,
        };
        command.Validators.Add(result =>
        {
            bool anyTopic = (result.GetValue(topic) ?? []).Length > 0;
            if (anyTopic == result.GetValue(allTopics))
                result.AddError("group reset-offsets: give --topic (repeatable) or --all-topics");
            // Given or not, read from the parse (not the values): an unparseable number is reported by its own check.
            int targets = (result.GetValue(toEarliest) ? 1 : 0) + (result.GetValue(toLatest) ? 1 : 0) + (result.GetResult(toDatetime) is null ? 0 : 1)
                + (result.GetResult(toOffset) is null ? 0 : 1) + (result.GetResult(shiftBy) is null ? 0 : 1);
            if (targets != 1)
                result.AddError("group reset-offsets: give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset and --shift-by");
            if (result.GetValue(dryRun) && result.GetValue(execute))
                result.AddError("group reset-offsets: give --dry-run or --execute, not both");
        });
        command.SetAction((parse, ct) =>
        {
            ResetTarget reset = parse.GetValue(toEarliest) ? new ResetTarget(ResetKind.ToEarliest, 0)
                : parse.GetValue(toLatest) ? new ResetTarget(ResetKind.ToLatest, 0)
                : parse.GetValue(toDatetime) is { } at ? new ResetTarget(ResetKind.ToDatetime, GroupArgParsers.Datetime(at, out _)!.Value)
                : parse.GetValue(toOffset) is { } offset ? new ResetTarget(ResetKind.ToOffset, offset)
                : new ResetTarget(ResetKind.ShiftBy, parse.GetValue(shiftBy)!.Value);
            var topics = (parse.GetValue(topic) ?? []).Select(t => GroupArgParsers.TopicSelection(t, out _)!).ToList();
            return handlers.GroupResetOffsetsAsync(new GroupResetOffsetsArgs(global.Bind(parse), parse.GetValue(group)!, topics,
                parse.GetValue(allTopics), reset, parse.GetValue(execute)), ct);
        });
        return command;
    }
}
