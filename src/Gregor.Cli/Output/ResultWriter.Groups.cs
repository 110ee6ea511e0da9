using System.Globalization;
using Gregor.Cli.Commands;
using Spectre.Console;

namespace Gregor.Cli.Output;

// The group commands' tables, with kafka-consumer-groups' column names.
internal sealed partial class ResultWriter
{
    public void GroupList(IReadOnlyList<GroupListingView> groups, bool showState)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(groups);
            return;
        }
        if (!showState)
        {
            // Like kafka-consumer-groups --list: bare ids, one per line, for pipes.
            foreach (var g in groups) _out.WriteLine(g.GroupId);
            return;
        }
        var table = new Table().AddColumns("GROUP", "STATE");
        foreach (var g in groups) table.AddRow(Markup.Escape(g.GroupId), Markup.Escape(g.State));
        Console().Write(table);
    }

    public void GroupOffsets(GroupOffsetsView view, bool hasMembers)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(view);
            return;
        }
        var console = Console();
        if (!hasMembers) console.WriteLine($"Consumer group '{view.Group}' has no active members.");
        var table = new Table().AddColumns("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
        foreach (var p in view.Partitions)
        {
            table.AddRow(Markup.Escape(view.Group), Markup.Escape(p.Topic), Cell(p.Partition), Cell(p.CurrentOffset), Cell(p.LogEndOffset), Cell(p.Lag),
                Text(p.ConsumerId), Text(p.Host), Text(p.ClientId));
        }
        console.Write(table);
    }

    public void GroupMembers(GroupMembersView view, bool verbose)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(view);
            return;
        }
        var console = Console();
        if (view.Members.Count == 0)
        {
            console.WriteLine($"Consumer group '{view.Group}' has no active members.");
            return;
        }
        var table = new Table().AddColumns("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS");
        if (verbose) table.AddColumn("ASSIGNMENT");
        foreach (var m in view.Members)
        {
            var cells = new List<string> { Markup.Escape(view.Group), Markup.Escape(m.ConsumerId), Markup.Escape(m.Host), Markup.Escape(m.ClientId), Cell(m.Assignment.Count) };
            if (verbose) cells.Add(Markup.Escape(AssignmentText(m.Assignment)));
            table.AddRow([.. cells]);
        }
        console.Write(table);
    }

    /// <summary>topic(0,1) other(2), as kafka-consumer-groups --members --verbose prints it; "-" for none.</summary>
    internal static string AssignmentText(IReadOnlyList<AssignedPartitionView> assignment) =>
        assignment.Count == 0 ? "-"
            : string.Join(" ", assignment.GroupBy(a => a.Topic, StringComparer.Ordinal)
                .Select(t => $"{t.Key}({string.Join(",", t.Select(a => a.Partition.ToString(CultureInfo.InvariantCulture)))})"));

    public void GroupState(GroupStateView view)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(view);
            return;
        }
        var table = new Table().AddColumns("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
        table.AddRow(Markup.Escape(view.Group), Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{view.Coordinator} ({view.CoordinatorId})")),
            Markup.Escape(view.AssignmentStrategy.Length == 0 ? "-" : view.AssignmentStrategy), Markup.Escape(view.State), Cell(view.Members));
        Console().Write(table);
    }

    public void ResetPlan(ResetPlanView plan)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(plan);
            return;
        }
        var table = new Table().AddColumns("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET");
        foreach (var p in plan.Partitions)
            table.AddRow(Markup.Escape(plan.Group), Markup.Escape(p.Topic), Cell(p.Partition), Cell(p.CurrentOffset), Cell(p.NewOffset));
        Console().Write(table);
    }

    public void GroupAction(GroupActionView action)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(action);
            return;
        }
        _out.WriteLine($"{action.Action} consumer group '{action.Group}'.");
    }

    private static string Cell(long? value) => value is { } v ? Cell(v) : "-";

    private static string Text(string? value) => string.IsNullOrEmpty(value) ? "-" : Markup.Escape(value);
}
