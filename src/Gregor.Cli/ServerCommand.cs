using System.CommandLine;
using Gregor.Broker;
using Gregor.Broker.Configuration;
using Gregor.Metadata;

namespace Gregor.Cli;

/// <summary><c>gregor server</c>: runs a broker until SIGTERM or Ctrl-C.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var configFile = new Option<FileInfo?>("--config")
        {
            Description = "A server.properties file (Kafka's names and syntax).",
            HelpName = "FILE",
        };
        var overrides = new Option<string[]>("--set")
        {
            Description = "A setting as name=value; wins over the file. Repeatable.",
            HelpName = "name=value",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("server", "Run a broker (single node: broker and controller in one process).")
        {
            configFile,
            overrides,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(configFile)?.FullName, parse.GetValue(overrides) ?? [], cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, string[] overrides, CancellationToken cancellationToken)
    {
        BrokerHost host;
        try
        {
            host = BrokerHost.Create(BrokerConfigParser.Load(configFile, overrides));
        }
        catch (BrokerConfigException e)
        {
            await Console.Error.WriteLineAsync("gregor server: " + e.Message).ConfigureAwait(false);
            return 1;
        }
        await using (host.ConfigureAwait(false))
        {
            try
            {
                await host.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BrokerConfigException e)
            {
                await Console.Error.WriteLineAsync("gregor server: " + e.Message).ConfigureAwait(false);
                return 1;
            }
            catch (MetaPropertiesMismatchException e)
            {
                // The log dirs belong to another cluster or node: refuse rather than mix their data.
                await Console.Error.WriteLineAsync("gregor server: " + e.Message).ConfigureAwait(false);
                return 1;
            }
            catch (IOException e)
            {
                // Typically the port is taken.
                await Console.Error.WriteLineAsync("gregor server: cannot listen: " + e.Message).ConfigureAwait(false);
                return 1;
            }
        }
        return 0;
    }
}
