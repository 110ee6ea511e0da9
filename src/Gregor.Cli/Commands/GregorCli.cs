using System.CommandLine;

namespace Gregor.Cli.Commands;

/// <summary>The whole <c>gregor</c> command tree, and running it with one-line errors for bad arguments.</summary>
internal static class GregorCli
{
    public const int BadArguments = 2;

    public static RootCommand CreateRoot(ICommandHandlers handlers)
    {
        var global = new GlobalOptions();
        var root = new RootCommand("Gregor: a Kafka-compatible event streaming platform.");
        global.AddTo(root);
        root.Subcommands.Add(ServerCommand.Create());
        root.Subcommands.Add(StorageCommand.Create(global));
        root.Subcommands.Add(TopicCommands.Create(global, handlers));
        root.Subcommands.Add(PartitionCommands.Create(global, handlers));
        root.Subcommands.Add(ClientCommands.Produce(global, handlers));
        root.Subcommands.Add(ClientCommands.Consume(global, handlers));
        root.Subcommands.Add(GroupCommands.Create(global, handlers));
        root.Subcommands.Add(ClientCommands.Cluster(global, handlers));
        root.Subcommands.Add(ClientCommands.Offsets(global, handlers));
        root.Subcommands.Add(PerfCommands.Create(global, handlers));
        return root;
    }

    /// <summary>
    /// Parses and runs; bad arguments print "gregor: reason" lines (no help dump) and exit with 2. A command
    /// without a verb (e.g. <c>gregor topic</c>) prints its help.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, ICommandHandlers handlers, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        RootCommand root = CreateRoot(handlers);
        ParseResult parse = root.Parse(args);
        // Program turns Ctrl-C and SIGTERM into cancellation; no second handler here (null: none).
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        if (parse.Errors.Count > 0)
        {
            bool onlyMissingVerb = parse.CommandResult.Command.Subcommands.Count > 0 && parse.Tokens.Count == CountCommandTokens(parse);
            if (onlyMissingVerb)
            {
                await root.Parse([.. args, "--help"]).InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
                return BadArguments;
            }
            foreach (var e in parse.Errors) await error.WriteLineAsync("gregor: " + e.Message).ConfigureAwait(false);
            return BadArguments;
        }
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private static int CountCommandTokens(ParseResult parse) =>
        parse.Tokens.Count(t => t.Type == System.CommandLine.Parsing.TokenType.Command);
}
