using System.CommandLine;

namespace Gregor.Cli.Commands;

/// <summary><c>gregor topic create|list|describe|alter|delete|add-partitions</c>.</summary>
internal static class TopicCommands
{
    public static Command Create(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = new Command("topic", "Create, list, describe, change and delete topics.");
        topic.Subcommands.Add(CreateCommand(global, handlers));
        topic.Subcommands.Add(ListCommand(global, handlers));
        topic.Subcommands.Add(DescribeCommand(global, handlers));
        topic.Subcommands.Add(AlterCommand(global, handlers));
        topic.Subcommands.Add(DeleteCommand(global, handlers));
        topic.Subcommands.Add(AddPartitionsCommand(global, handlers));
        return topic;
    }

    internal static Argument<string> TopicArgument() =>
        new Argument<string>("topic") { Description = "The topic's name." }.TopicName();

    private static Option<string[]> ConfigOption(string description) => new Option<string[]>("--config")
    {
        Description = description,
        HelpName = "name=value",
        Arity = ArgumentArity.ZeroOrMore,
    }.CheckKeyValues();

    private static Command CreateCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var name = TopicArgument();
        var partitions = new Option<int>("--partitions", "-p")
        {
            Description = "How many partitions.",
            DefaultValueFactory = _ => 1,
        }.InRange(1, 1_000_000);
        var replicationFactor = new Option<short>("--replication-factor", "-r")
        {
            Description = "How many replicas of each partition.",
            DefaultValueFactory = _ => 1,
        }.InRange(1, short.MaxValue);
        var config = ConfigOption("A topic setting, e.g. retention.ms=86400000. Repeatable.");
        var ifNotExists = new Option<bool>("--if-not-exists") { Description = "Succeed if the topic already exists." };
        var command = new Command("create", "Create a topic.") { name, partitions, replicationFactor, config, ifNotExists };
        command.SetAction((parse, ct) => handlers.TopicCreateAsync(new TopicCreateArgs(
            global.Bind(parse), parse.GetValue(name)!, parse.GetValue(partitions), parse.GetValue(replicationFactor),
            ArgParsers.KeyValues(parse.GetValue(config) ?? [], "--config", out _), parse.GetValue(ifNotExists)), ct));
        return command;
    }

    private static Command ListCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var excludeInternal = new Option<bool>("--exclude-internal") { Description = "Leave out internal topics such as __consumer_offsets." };
        var command = new Command("list", "List topics.") { excludeInternal };
        command.SetAction((parse, ct) => handlers.TopicListAsync(new TopicListArgs(global.Bind(parse), parse.GetValue(excludeInternal)), ct));
        return command;
    }

    private static Command DescribeCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        // Optional, as kafka-topics --describe without --topic: every topic is described.
        var name = new Argument<string?>("topic") { Description = "The topic's name; every topic when left out.", Arity = ArgumentArity.ZeroOrOne };
        name.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && OptionChecks.TopicNameProblem(result.GetValueOrDefault<string?>()) is { } why) result.AddError(why);
        });
        var underReplicated = new Option<bool>("--under-replicated-partitions") { Description = "Only partitions with fewer in-sync replicas than replicas." };
        var unavailable = new Option<bool>("--unavailable-partitions") { Description = "Only partitions without a leader." };
        var excludeInternal = new Option<bool>("--exclude-internal") { Description = "Leave internal topics out when describing every topic." };
        var command = new Command("describe", "Show a topic's (or every topic's) partitions, leaders, replicas (offline and under-replicated ones marked) and settings.")
        {
            name, underReplicated, unavailable, excludeInternal,
        };
        command.SetAction((parse, ct) => handlers.TopicDescribeAsync(new TopicDescribeArgs(global.Bind(parse), parse.GetValue(name),
            parse.GetValue(underReplicated), parse.GetValue(unavailable), parse.GetValue(excludeInternal)), ct));
        return command;
    }

    private static Command AlterCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var name = TopicArgument();
        var config = ConfigOption("A topic setting to set, name=value. Repeatable.");
        var deleteConfig = new Option<string[]>("--delete-config")
        {
            Description = "A topic setting to return to its default. Repeatable.",
            HelpName = "name",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("alter", "Change a topic's settings.") { name, config, deleteConfig };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(config) ?? []).Length == 0 && (result.GetValue(deleteConfig) ?? []).Length == 0)
                result.AddError("topic alter: nothing to change; give --config name=value or --delete-config name");
        });
        command.SetAction((parse, ct) => handlers.TopicAlterAsync(new TopicAlterArgs(
            global.Bind(parse), parse.GetValue(name)!, ArgParsers.KeyValues(parse.GetValue(config) ?? [], "--config", out _),
            parse.GetValue(deleteConfig) ?? []), ct));
        return command;
    }

    private static Command DeleteCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var name = TopicArgument();
        var ifExists = new Option<bool>("--if-exists") { Description = "Succeed if the topic does not exist." };
        var command = new Command("delete", "Delete a topic and its data.") { name, ifExists };
        command.SetAction((parse, ct) => handlers.TopicDeleteAsync(new TopicDeleteArgs(global.Bind(parse), parse.GetValue(name)!, parse.GetValue(ifExists)), ct));
        return command;
    }

    private static Command AddPartitionsCommand(GlobalOptions global, ICommandHandlers handlers)
    {
        var name = TopicArgument();
        var partitions = new Option<int>("--partitions", "-p")
        {
            Description = "The new total number of partitions (more than now).",
            Required = true,
        }.InRange(1, 1_000_000);
        var command = new Command("add-partitions", "Add partitions to a topic.") { name, partitions };
        command.SetAction((parse, ct) => handlers.TopicAddPartitionsAsync(
            new TopicAddPartitionsArgs(global.Bind(parse), parse.GetValue(name)!, parse.GetValue(partitions)), ct));
        return command;
    }
}
