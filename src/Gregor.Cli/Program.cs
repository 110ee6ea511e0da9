using Gregor.Cli;
using Gregor.Cli.Commands;

return await GregorCli.RunAsync(args, new ClientCommandHandlers(Console.Out, Console.Error), Console.Out, Console.Error).ConfigureAwait(false);
