using System.CommandLine;
using Gregor.Cli;

var root = new RootCommand("Gregor: a Kafka-compatible event streaming platform.");
root.Subcommands.Add(ServerCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
