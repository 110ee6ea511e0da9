using System.CommandLine;
using System.Globalization;
using Gregor.Client.Admin;

namespace Gregor.Cli.Commands;

/// <summary><c>gregor partition elect|reassign|reassignments</c>: leader elections and replica moves (kafka-leader-election and kafka-reassign-partitions).</summary>
internal static class PartitionCommands
{
    public static Command Create(GlobalOptions global, ICommandHandlers handlers)
    {
        var partition = new Command("partition", "Elect partition leaders and move partitions between brokers.");
        partition.Subcommands.Add(ElectCommand(global, handlers));
        partition.Subcommands.Add(ReassignCommand(global, handlers));
        partition.Subcommands.Add(ReassignmentsCommand(global, handlers));
        return partition;
    }

    private static Option<int?> PartitionOption(string description) => new("--partition", "-p") { Description = description };

    private static Command ElectCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = new Argument<string?>("topic") { Description = "The topic (leave out with --all-topic-partitions).", Arity = ArgumentArity.ZeroOrOne };
        var partition = PartitionOption("One partition of the topic; all its partitions when left out.");
        var type = new Option<string>("--election-type")
        {
            Description = "preferred: back to each partition's first replica; unclean: a leader for a partition without one, even a replica out of sync.",
            Required = true,
        }.AcceptOnlyFromAmong("preferred", "unclean");
        var all = new Option<bool>("--all-topic-partitions") { Description = "Every partition of every topic (preferred elections only)." };
        var command = new Command("elect", "Elect partition leaders.") { topic, partition, type, all };
        command.Validators.Add(result =>
        {
            bool hasTopic = result.GetValue(topic) is not null;
            if (hasTopic == result.GetValue(all))
                result.AddError("partition elect: give a topic or --all-topic-partitions (not both)");
            else if (!hasTopic && result.GetValue(partition) is not null)
                result.AddError("partition elect: --partition needs a topic");
        });
        command.SetAction((parse, ct) => handlers.PartitionElectAsync(new PartitionElectArgs(global.Bind(parse), parse.GetValue(topic),
            parse.GetValue(partition), parse.GetValue(type) == "unclean" ? ElectionType.Unclean : ElectionType.Preferred), ct));
        return command;
    }

    private static Command ReassignCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = TopicCommands.TopicArgument();
        var partition = new Option<int>("--partition", "-p") { Description = "The partition to move.", Required = true }.InRange(0, int.MaxValue);
        var replicas = new Option<string?>("--replicas")
        {
            Description = "The broker ids the partition moves to, the preferred leader first, e.g. 1,2,3.",
            HelpName = "ids",
        }.Check(v => ParseReplicas(v) is null ? $"--replicas: '{v}' is not a comma-separated list of broker ids" : null);
        var cancel = new Option<bool>("--cancel") { Description = "Cancel the move under way: back to the replicas it had." };
        var command = new Command("reassign", "Move a partition to other brokers (or cancel a move).") { topic, partition, replicas, cancel };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(replicas) is not null) == result.GetValue(cancel))
                result.AddError("partition reassign: give --replicas or --cancel");
        });
        command.SetAction((parse, ct) => handlers.PartitionReassignAsync(new PartitionReassignArgs(global.Bind(parse), parse.GetValue(topic)!,
            parse.GetValue(partition), parse.GetValue(replicas) is { } r ? ParseReplicas(r) : null), ct));
        return command;
    }

    private static Command ReassignmentsCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = new Argument<string?>("topic") { Description = "Only this topic's moves.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("reassignments", "List the partition moves under way.") { topic };
        command.SetAction((parse, ct) => handlers.PartitionReassignmentsAsync(new PartitionReassignmentsArgs(global.Bind(parse), parse.GetValue(topic)), ct));
        return command;
    }

    /// <summary>Comma-separated broker ids, or null when it is not one.</summary>
    internal static int[]? ParseReplicas(string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i])) return null;
        return ids;
    }
}
