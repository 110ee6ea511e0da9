using System.CommandLine;
using Gregor.Client;

namespace Gregor.Cli.Commands;

/// <summary><c>gregor produce</c>, <c>consume</c>, <c>cluster info|describe|quorum</c> and <c>offsets</c>.</summary>
internal static class ClientCommands
{
    internal static Option<string> AcksOption() => new Option<string>("--acks")
    {
        Description = "Acknowledgements to wait for: all, -1, 0 or 1.",
        DefaultValueFactory = _ => "all",
    }.Check(v => { ArgParsers.AcksValue(v, out string? e); return e; });

    internal static Option<string> CodecOption() => new Option<string>("--compression-codec")
    {
        Description = "none, gzip, snappy, lz4 or zstd.",
        DefaultValueFactory = _ => "none",
    }.Check(v => { ArgParsers.Codec(v, out string? e); return e; });

    internal static Option<string[]> PropertiesOption(string name, string description) => new Option<string[]>(name)
    {
        Description = description,
        HelpName = "name=value",
        Arity = ArgumentArity.ZeroOrMore,
    }.CheckKeyValues();

    private static Option<int?> PartitionOption(string description) => new Option<int?>("--partition")
    {
        Description = description,
    }.Check(v => int.TryParse(v, out int p) && p >= 0 ? null : $"--partition: '{v}' is not a partition number");

    public static Command Produce(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = TopicCommands.TopicArgument();
        var partition = PartitionOption("Send every record to this partition instead of letting the partitioner choose.");
        var keySeparator = new Option<string?>("--key-separator")
        {
            Description = "Read each line as key, separator, value (implies parse.key=true).",
        };
        var header = new Option<string[]>("--header", "-H")
        {
            Description = "A header added to every record. Repeatable.",
            HelpName = "key=value",
            Arity = ArgumentArity.ZeroOrMore,
        }.CheckKeyValues();
        var file = new Option<string?>("--file", "-f") { Description = "Read lines from this file instead of standard input." };
        var property = PropertiesOption("--property",
            "Line reading as kafka-console-producer: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, " +
            "headers.key.separator, null.marker. Repeatable.");
        var acks = AcksOption();
        var codec = CodecOption();
        var producerProperty = PropertiesOption("--producer-property", "A producer setting, e.g. linger.ms=0. Repeatable.");
        var command = new Command("produce", "Send lines from standard input (or --file) as records, one per line.")
        {
            topic, partition, keySeparator, header, file, property, acks, codec, producerProperty,
        };
        command.SetAction((parse, ct) =>
        {
            var properties = ArgParsers.KeyValues(parse.GetValue(property) ?? [], "--property", out _);
            string Property(string name, string fallback) => ArgParsers.Unescape(properties.TryGetValue(name, out string? v) ? v : fallback);
            bool Flag(string name) => properties.TryGetValue(name, out string? v) && v.Equals("true", StringComparison.OrdinalIgnoreCase);
            string? separatorFlag = parse.GetValue(keySeparator);
            var format = new LineFormat(
                ParseKey: separatorFlag is not null || Flag("parse.key"),
                KeySeparator: separatorFlag is not null ? ArgParsers.Unescape(separatorFlag) : Property("key.separator", "\t"),
                ParseHeaders: Flag("parse.headers"),
                HeadersDelimiter: Property("headers.delimiter", "\t"),
                HeadersSeparator: Property("headers.separator", ","),
                HeadersKeySeparator: Property("headers.key.separator", ":"),
                NullMarker: properties.TryGetValue("null.marker", out string? marker) ? ArgParsers.Unescape(marker) : null,
                ExtraHeaders: [.. (parse.GetValue(header) ?? []).Select(SplitHeader)]);
            return handlers.ProduceAsync(new ProduceArgs(global.Bind(parse), parse.GetValue(topic)!, parse.GetValue(partition),
                format, parse.GetValue(file), ArgParsers.AcksValue(parse.GetValue(acks)!, out _)!.Value,
                ArgParsers.Codec(parse.GetValue(codec)!, out _)!.Value,
                ArgParsers.KeyValues(parse.GetValue(producerProperty) ?? [], "--producer-property", out _)), ct);
        });
        command.Validators.Add(result =>
        {
            string? separator = result.GetValue(keySeparator);
            if (separator is { Length: 0 }) result.AddError("--key-separator: must not be empty");
            var properties = ArgParsers.KeyValues(result.GetValue(property) ?? [], "--property", out _);
            foreach (string name in new[] { "key.separator", "headers.delimiter", "headers.separator", "headers.key.separator" })
                if (properties.TryGetValue(name, out string? v) && v.Length == 0) result.AddError($"--property {name}: must not be empty");
        });
        return command;
    }

    private static KeyValuePair<string, string> SplitHeader(string keyValue)
    {
        int at = keyValue.IndexOf('=', StringComparison.Ordinal);
        return new(keyValue[..at], keyValue[(at + 1)..]);
    }

    public static Command Consume(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = TopicCommands.TopicArgument();
        var partition = PartitionOption("Read only this partition.");
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start at the earliest record rather than the end." };
        var fromTimestamp = new Option<string?>("--from-timestamp")
        {
            Description = "Start at the first record at or after this time: Unix milliseconds or an ISO 8601 date and time.",
        }.Check(v => { ArgParsers.Timestamp(v, out string? e); return e; });
        var offset = new Option<string?>("--offset")
        {
            Description = "Where to start: earliest, latest or an offset number (needs --partition).",
        }.Check(v => { ArgParsers.StartOffset(v, out string? e); return e; });
        var maxMessages = new Option<long?>("--max-messages", "--count", "-n")
        {
            Description = "Stop after this many records.",
        }.Check(v => long.TryParse(v, out long n) && n > 0 ? null : $"--max-messages: '{v}' is not a positive number");
        var group = new Option<string?>("--group", "-g")
        {
            Description = "Consume as a member of this group: share the partitions with its other members and commit what was read.",
        };
        var timeoutMs = new Option<int?>("--timeout-ms", "--timeout")
        {
            Description = "Stop when no record arrives for this many milliseconds.",
        }.Check(v => int.TryParse(v, out int t) && t >= 0 ? null : $"--timeout-ms: '{v}' is not a number of milliseconds");
        var property = PropertiesOption("--property",
            "What to print: print.key, print.timestamp, print.partition, print.offset, print.headers=true; key.separator=S. Repeatable.");
        var consumerProperty = PropertiesOption("--consumer-property", "A consumer setting, e.g. fetch.max.wait.ms=100. Repeatable.");
        var command = new Command("consume", "Print records of a topic, one per line.")
        {
            topic, partition, fromBeginning, fromTimestamp, offset, maxMessages, group, timeoutMs, property, consumerProperty,
        };
        command.Validators.Add(result =>
        {
            string? offsetValue = result.GetValue(offset);
            int starts = (offsetValue is null ? 0 : 1) + (result.GetValue(fromBeginning) ? 1 : 0) + (result.GetValue(fromTimestamp) is null ? 0 : 1);
            if (starts > 1)
                result.AddError("consume: give one of --from-beginning, --from-timestamp or --offset");
            if (offsetValue is not null && ArgParsers.StartOffset(offsetValue, out _) is { IsSpecial: false } && result.GetValue(partition) is null)
                result.AddError("consume: --offset with a number needs --partition");
            if (result.GetValue(group) is not null && (result.GetValue(partition) is not null || offsetValue is not null || result.GetValue(fromTimestamp) is not null))
                result.AddError("consume: --group shares the topic's partitions with the group from its committed offsets; --partition, --offset and --from-timestamp read without it");
        });
        command.SetAction((parse, ct) =>
        {
            string? offsetValue = parse.GetValue(offset);
            Offset start = offsetValue is not null ? ArgParsers.StartOffset(offsetValue, out _)!.Value
                : parse.GetValue(fromBeginning) ? Offset.Beginning : Offset.End;
            var properties = ArgParsers.KeyValues(parse.GetValue(property) ?? [], "--property", out _);
            int? timeout = parse.GetValue(timeoutMs);
            long? startTimestamp = parse.GetValue(fromTimestamp) is { } at ? ArgParsers.Timestamp(at, out _) : null;
            return handlers.ConsumeAsync(new ConsumeArgs(global.Bind(parse), parse.GetValue(topic)!, parse.GetValue(partition), start,
                parse.GetValue(maxMessages), parse.GetValue(group), timeout is null ? null : TimeSpan.FromMilliseconds(timeout.Value),
                PrintOptions(properties), ArgParsers.KeyValues(parse.GetValue(consumerProperty) ?? [], "--consumer-property", out _),
                startTimestamp), ct);
        });
        return command;
    }

    internal static ConsumePrintOptions PrintOptions(IReadOnlyDictionary<string, string> properties)
    {
        bool Flag(string name) => properties.TryGetValue(name, out string? v) && v.Equals("true", StringComparison.OrdinalIgnoreCase);
        return new ConsumePrintOptions(Flag("print.key"), Flag("print.timestamp"), Flag("print.partition"), Flag("print.offset"),
            Flag("print.headers"), ArgParsers.Unescape(properties.TryGetValue("key.separator", out string? s) ? s : "\t"));
    }

    public static Command Cluster(GlobalOptions global, ICommandHandlers handlers)
    {
        var info = new Command("info", "Show the cluster id, the controller and the brokers.");
        info.SetAction((parse, ct) => handlers.ClusterInfoAsync(new ClusterInfoArgs(global.Bind(parse)), ct));
        var describe = new Command("describe", "Show every registered broker (id, host, port, rack, whether it is fenced) and the active controller (the metadata quorum's leader).");
        describe.SetAction((parse, ct) => handlers.ClusterDescribeAsync(new ClusterDescribeArgs(global.Bind(parse)), ct));
        return new Command("cluster", "Inspect the cluster.") { info, describe, Quorum(global, handlers) };
    }

    private static Command Quorum(GlobalOptions global, ICommandHandlers handlers)
    {
        var status = new Option<bool>("--status")
        {
            Description = "A summary: leader, epoch, high watermark, how far the furthest voter lags, voters and observers (the default).",
        };
        var replication = new Option<bool>("--replication")
        {
            Description = "Each voter and observer: log end offset, lag, last fetch and last caught-up time, and its role.",
        };
        var command = new Command("quorum", "Describe the KRaft metadata quorum, as kafka-metadata-quorum describe.") { status, replication };
        command.Validators.Add(result =>
        {
            if (result.GetValue(status) && result.GetValue(replication)) result.AddError("cluster quorum: give one of --status or --replication");
        });
        command.SetAction((parse, ct) => handlers.ClusterQuorumAsync(
            new ClusterQuorumArgs(global.Bind(parse), parse.GetValue(replication) ? QuorumView.Replication : QuorumView.Status), ct));
        return command;
    }

    public static Command Offsets(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = TopicCommands.TopicArgument();
        var partition = PartitionOption("Only this partition.");
        var command = new Command("offsets", "Show each partition's earliest and latest offset.") { topic, partition };
        command.SetAction((parse, ct) => handlers.OffsetsAsync(new OffsetsArgs(global.Bind(parse), parse.GetValue(topic)!, parse.GetValue(partition)), ct));
        return command;
    }
}
