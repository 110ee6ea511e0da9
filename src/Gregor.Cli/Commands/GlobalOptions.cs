using System.CommandLine;

namespace Gregor.Cli.Commands;

/// <summary>How results are printed.</summary>
internal enum OutputFormat
{
    Table,
    Json,
}

/// <summary>Options every client command accepts, wherever they appear on the line.</summary>
internal sealed class GlobalOptions
{
    public const string DefaultBootstrap = "localhost:9092";

    public Option<string> Bootstrap { get; } = new("--bootstrap", "--bootstrap-server", "-b")
    {
        Description = "Brokers to connect to, host:port[,host:port...].",
        HelpName = "host:port",
        DefaultValueFactory = _ => DefaultBootstrap,
        Recursive = true,
    };

    public Option<OutputFormat> Output { get; } = new("--output", "-o")
    {
        Description = "How to print results: table or json.",
        DefaultValueFactory = _ => OutputFormat.Table,
        Recursive = true,
    };

    public GlobalOptions()
    {
        Bootstrap.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (value is not null && ArgParsers.CheckBootstrap(value) is { } why) result.AddError($"--bootstrap: {why}");
        });
    }

    public void AddTo(Command root)
    {
        root.Options.Add(Bootstrap);
        root.Options.Add(Output);
    }

    public ClientTarget Bind(ParseResult parse) => new(parse.GetValue(Bootstrap) ?? DefaultBootstrap, parse.GetValue(Output));
}

/// <summary>Where to connect and how to print.</summary>
internal sealed record ClientTarget(string Bootstrap, OutputFormat Output);
