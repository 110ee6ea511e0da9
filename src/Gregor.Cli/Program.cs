using Gregor.Cli;
using Gregor.Cli.Commands;
using Spectre.Console;

// Live progress only for a person watching: not when standard output goes to a file or a pipe.
var handlers = new ClientCommandHandlers(Console.Out, Console.Error) { Terminal = Console.IsOutputRedirected ? null : AnsiConsole.Console };
return await GregorCli.RunAsync(args, handlers, Console.Out, Console.Error).ConfigureAwait(false);
