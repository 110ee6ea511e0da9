using System.Runtime.InteropServices;
using Gregor.Cli;
using Gregor.Cli.Commands;
using Spectre.Console;

// Ctrl-C and SIGTERM cancel the command, which then finishes cleanly (a group member revokes, commits and leaves;
// a server shuts down) instead of the process being cut off; a second one ends the process at once.
using var terminate = new CancellationTokenSource();
void Terminate(PosixSignalContext context)
{
    if (terminate.IsCancellationRequested) return;
    context.Cancel = true;
    terminate.Cancel();
}
using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Terminate);
using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Terminate);
// Live progress only for a person watching: not when standard output goes to a file or a pipe.
var handlers = new ClientCommandHandlers(Console.Out, Console.Error) { Terminal = Console.IsOutputRedirected ? null : AnsiConsole.Console };
return await GregorCli.RunAsync(args, handlers, Console.Out, Console.Error, terminate.Token).ConfigureAwait(false);
