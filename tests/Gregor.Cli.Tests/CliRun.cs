using System.Text.Json;
using Gregor.Cli.Commands;

namespace Gregor.Cli.Tests;

/// <summary>One run of the real command line (real handlers) against a broker: exit code, standard output and error.</summary>
internal sealed record CliRun(int Exit, string Out, string Error)
{
    public static async Task<CliRun> RunAsync(string bootstrap, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await GregorCli.RunAsync([.. args, "--bootstrap", bootstrap], new ClientCommandHandlers(output, error, TextReader.Null), output, error);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    /// <summary>The output as JSON, after checking the command succeeded.</summary>
    public JsonElement Json()
    {
        Assert.True(Exit == 0, $"exit {Exit}: {Error}");
        return JsonDocument.Parse(Out).RootElement;
    }

    /// <summary>Checks the command failed with exit 1 and one line on standard error that says <paramref name="expected"/>.</summary>
    public void AssertFailed(string expected)
    {
        Assert.True(Exit == 1, $"exit {Exit}; out: {Out}; error: {Error}");
        Assert.Contains(expected, Error, StringComparison.Ordinal);
        Assert.Single(Error.TrimEnd().Split('\n'));
        Assert.StartsWith("gregor ", Error, StringComparison.Ordinal);
    }

    public void AssertOk()
    {
        Assert.True(Exit == 0, $"exit {Exit}; out: {Out}; error: {Error}");
    }
}
