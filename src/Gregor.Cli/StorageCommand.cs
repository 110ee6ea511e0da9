using System.CommandLine;
using Gregor.Broker.Configuration;
using Gregor.Cli.Commands;
using Gregor.Cli.Output;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;

namespace Gregor.Cli;

/// <summary>
/// <c>gregor storage random-uuid|format|info</c>, shaped like Kafka's kafka-storage: a cluster id to share between
/// nodes, meta.properties written into a node's log dirs before its first start, and what those dirs hold. Local:
/// they read the node's settings (the same <c>--config</c> and <c>--set</c> as <c>gregor server</c>) and touch no broker.
/// </summary>
internal static class StorageCommand
{
    public static Command Create(GlobalOptions global)
    {
        var storage = new Command("storage", "Prepare and inspect a node's log dirs (as kafka-storage).");
        storage.Subcommands.Add(RandomUuidCommand(global));
        storage.Subcommands.Add(FormatCommand(global));
        storage.Subcommands.Add(InfoCommand(global));
        return storage;
    }

    private static Command RandomUuidCommand(GlobalOptions global)
    {
        var command = new Command("random-uuid", "Print a new random Kafka UUID, e.g. for a cluster id.");
        command.SetAction(parse =>
        {
            Writer(parse, global).RandomUuid(new RandomUuidView(KafkaUuid.NewRandom(Random.Shared).ToString()));
            return 0;
        });
        return command;
    }

    private static Command FormatCommand(GlobalOptions global)
    {
        var (config, overrides) = SettingsOptions();
        var clusterId = new Option<string>("--cluster-id", "-t")
        {
            Description = "The cluster id, a Kafka UUID (gregor storage random-uuid makes one); the same on every node.",
            HelpName = "ID",
            Required = true,
        };
        var ignoreFormatted = new Option<bool>("--ignore-formatted", "-g")
        {
            Description = "Skip dirs already formatted for this cluster and node instead of failing.",
        };
        var standalone = new Option<bool>("--standalone", "-s")
        {
            Description = "This controller alone is the initial voter of a dynamic quorum (controller.quorum.bootstrap.servers).",
        };
        var command = new Command("format", "Write meta.properties (cluster id, node id, directory id) into every log dir of the node.")
        {
            clusterId, config, overrides, ignoreFormatted, standalone,
        };
        command.SetAction(parse => Run(parse, "format", () =>
        {
            BrokerConfig settings = Load(parse, config, overrides);
            if (parse.GetValue(standalone)) CheckStandalone(settings);
            else CheckInitialControllersNotNeeded(settings);
            var result = StorageFormatter.Format(settings.LogDirs, parse.GetValue(clusterId)!, settings.NodeId, parse.GetValue(ignoreFormatted), Random.Shared);
            Writer(parse, global).StorageFormat(new StorageFormatView(parse.GetValue(clusterId)!, settings.NodeId, result.Formatted, result.AlreadyFormatted));
            return 0;
        }));
        return command;
    }

    private static Command InfoCommand(GlobalOptions global)
    {
        var (config, overrides) = SettingsOptions();
        var command = new Command("info", "Show what each log dir of the node holds (exit 1 if something would stop the node starting).")
        {
            config, overrides,
        };
        command.SetAction(parse => Run(parse, "info", () =>
        {
            BrokerConfig settings = Load(parse, config, overrides);
            var states = LogDirInspector.Inspect(settings.LogDirs);
            var problems = LogDirInspector.Problems(states, settings.NodeId);
            var dirs = states.Select(s => new LogDirView(s.Directory, s.Status.ToString().ToLowerInvariant(), s.Properties?.ClusterId,
                s.Properties?.NodeId, s.Properties?.DirectoryId?.ToString(), s.Problem)).ToList();
            Writer(parse, global).StorageInfo(new StorageInfoView(dirs, problems));
            return problems.Count == 0 ? 0 : 1;
        }));
        return command;
    }

    private static (Option<FileInfo?> Config, Option<string[]> Overrides) SettingsOptions() => (
        new Option<FileInfo?>("--config", "-c")
        {
            Description = "The node's server.properties (log.dirs, node.id, ...), as given to gregor server.",
            HelpName = "FILE",
        },
        new Option<string[]>("--set")
        {
            Description = "A setting as name=value; wins over the file. Repeatable.",
            HelpName = "name=value",
            Arity = ArgumentArity.ZeroOrMore,
        });

    private static BrokerConfig Load(ParseResult parse, Option<FileInfo?> config, Option<string[]> overrides) =>
        BrokerConfigParser.Load(parse.GetValue(config)?.FullName, parse.GetValue(overrides) ?? []);

    // Kafka's rules for --standalone: only on a controller, with a controller listener to name it by; and (Gregor's)
    // not with a static voter set, which a dynamic quorum's initial voter would contradict.
    private static void CheckStandalone(BrokerConfig settings)
    {
        if (!settings.Quorum.IsController)
            throw new StorageFormatException($"--standalone is only for a controller, and this node has {BrokerSettings.ProcessRoles}={settings.Quorum.RolesText}.");
        if (settings.Quorum.Voters.Count > 0)
            throw new StorageFormatException($"--standalone starts a dynamic quorum, but {BrokerSettings.ControllerQuorumVoters} sets a static one; use {BrokerSettings.ControllerQuorumBootstrapServers} instead.");
        if (settings.Quorum.ControllerListenerNames.Count == 0)
            throw new StorageFormatException($"--standalone needs the controller's listener, and {BrokerSettings.ControllerListenerNames} names none.");
    }

    // Kafka: a controller of a dynamic quorum must be told its initial voters when formatted.
    private static void CheckInitialControllersNotNeeded(BrokerConfig settings)
    {
        var quorum = settings.Quorum;
        if (quorum.IsController && quorum.Voters.Count == 0 && quorum.BootstrapServers.Count > 0)
            throw new StorageFormatException(
                $"{BrokerSettings.ControllerQuorumVoters} is not set on this controller, so give --standalone to make it the initial voter of a dynamic quorum.");
    }

    private static ResultWriter Writer(ParseResult parse, GlobalOptions global) =>
        new(parse.InvocationConfiguration.Output, parse.GetValue(global.Output));

    private static int Run(ParseResult parse, string verb, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is BrokerConfigException or StorageFormatException or MetaPropertiesMismatchException or IOException or UnauthorizedAccessException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"gregor storage {verb}: {e.Message}");
            return 1;
        }
    }
}
