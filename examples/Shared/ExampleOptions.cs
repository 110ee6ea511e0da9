using System.Diagnostics;
using Gregor.Client;

namespace Gregor.Examples;

/// <summary>
/// What every example takes on its command line:
/// <c>BOOTSTRAP TOPIC GROUP OUTPUT [--set name=value]... [--idle-exit-ms N] [--crash-at POINT:N]</c>.
/// OUTPUT is the "external system" the example writes to. <c>--idle-exit-ms</c> ends the run (with Close) once
/// nothing has come for that long while partitions are assigned; without it the example runs until Ctrl-C.
/// <c>--crash-at POINT:N</c> kills the process outright the N-th time it reaches POINT (see <see cref="Reached"/>).
/// </summary>
internal sealed class ExampleOptions
{
    private string? _crashPoint;
    private int _crashAt;
    private int _reached;

    public required string Bootstrap { get; init; }

    public required string Topic { get; init; }

    public required string Group { get; init; }

    public required string Output { get; init; }

    public TimeSpan? IdleExit { get; private set; }

    public Dictionary<string, string> Settings { get; } = [];

    public static ExampleOptions Parse(string[] args)
    {
        if (args.Length < 4)
            throw new ArgumentException("usage: BOOTSTRAP TOPIC GROUP OUTPUT [--set name=value]... [--idle-exit-ms N] [--crash-at POINT:N]");
        var options = new ExampleOptions { Bootstrap = args[0], Topic = args[1], Group = args[2], Output = args[3] };
        for (int i = 4; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            switch (args[i])
            {
                case "--set" when value.IndexOf('=', StringComparison.Ordinal) is > 0 and int at:
                    options.Settings[value[..at]] = value[(at + 1)..];
                    break;
                case "--idle-exit-ms":
                    options.IdleExit = TimeSpan.FromMilliseconds(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "--crash-at" when value.LastIndexOf(':') is > 0 and int colon:
                    options._crashPoint = value[..colon];
                    options._crashAt = int.Parse(value[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]} {value}");
            }
        }
        return options;
    }

    /// <summary>The consumer's settings: the group, reading from the beginning the first time, plus <c>--set</c> ones.</summary>
    public ConsumerConfig ConsumerConfig(params (string Name, string Value)[] example)
    {
        var config = new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = Group, AutoOffsetReset = AutoOffsetReset.Earliest };
        foreach (var (name, value) in example) config.Set(name, value);
        foreach (var (name, value) in Settings) config.Set(name, value);
        return config;
    }

    /// <summary>
    /// Marks a point of the processing where a crash is interesting. When the test asked for a crash at this point
    /// and this is the time, the process is killed on the spot (SIGKILL to itself): no Close, no commit, no
    /// LeaveGroup, nothing flushed that was not already written, as when the machine loses power.
    /// </summary>
    public void Reached(string point, ConsumeResult<string, string> record)
    {
        if (point != _crashPoint || ++_reached != _crashAt) return;
        Console.WriteLine($"crash at {point} on {record.Topic} [{record.Partition.Value}] @{record.Offset.Value}");
        Console.Out.Flush();
        Process.GetCurrentProcess().Kill();
    }
}
