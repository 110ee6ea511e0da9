using System.CommandLine;
using System.Globalization;

namespace Gregor.Cli.Commands;

/// <summary><c>gregor perf produce|consume</c>: throughput and latency, with kafka-*-perf-test's flag names.</summary>
internal static class PerfCommands
{
    public static Command Create(GlobalOptions global, ICommandHandlers handlers) =>
        new("perf", "Measure throughput and latency.") { Produce(global, handlers), Consume(global, handlers) };

    private static Command Produce(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = TopicCommands.TopicArgument();
        var numRecords = new Option<long?>("--num-records")
        {
            Description = "How many records to send (or give --duration).",
        }.Check(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= 1
            ? null : $"--num-records: '{v}' is not a number from 1 to {long.MaxValue}");
        var duration = new Option<string?>("--duration")
        {
            Description = "Send for this long instead of a number of records: seconds, or e.g. 500ms, 30s, 2m.",
        }.Check(v => { ArgParsers.Duration(v, "--duration", out string? e); return e; });
        var recordSize = new Option<int>("--record-size")
        {
            Description = "Bytes per record value.",
            DefaultValueFactory = _ => 100,
        }.InRange(0, 100 * 1024 * 1024);
        var throughput = new Option<long>("--throughput")
        {
            Description = "Records per second at most; -1 for as fast as possible.",
            DefaultValueFactory = _ => -1,
        };
        throughput.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || !long.TryParse(result.Tokens[^1].Value, out long value)) return;
            if (value == 0 || value < -1) result.AddError("--throughput: give a positive rate or -1 for no limit");
        });
        var warmupRecords = new Option<long>("--warmup-records")
        {
            Description = "Leave the first N records out of the latency figures (they are still sent and counted): a fresh process's start-up is not its steady state.",
            DefaultValueFactory = _ => 0,
        }.InRange(0, long.MaxValue);
        var acks = ClientCommands.AcksOption();
        var codec = ClientCommands.CodecOption();
        var producerProperty = ClientCommands.PropertiesOption("--producer-props", "A producer setting, name=value. Repeatable.");
        var command = new Command("produce", "Send records as fast as allowed and report throughput, latency percentiles and what the process spent.")
        {
            topic, numRecords, duration, recordSize, throughput, warmupRecords, acks, codec, producerProperty,
        };
        command.Validators.Add(result =>
        {
            bool count = result.GetResult(numRecords) is not null;
            bool time = result.GetResult(duration) is not null;
            if (count == time) result.AddError("give either --num-records or --duration (one of them)");
            if (result.GetValue(numRecords) is { } n and >= 1 && result.GetValue(warmupRecords) >= n)
                result.AddError("--warmup-records: must be fewer than --num-records, or no record would be measured");
        });
        command.SetAction((parse, ct) =>
        {
            string? durationText = parse.GetValue(duration);
            return handlers.PerfProduceAsync(new PerfProduceArgs(global.Bind(parse), parse.GetValue(topic)!,
                parse.GetValue(numRecords), durationText is null ? null : ArgParsers.Duration(durationText, "--duration", out _),
                parse.GetValue(recordSize), parse.GetValue(throughput),
                ArgParsers.AcksValue(parse.GetValue(acks)!, out _)!.Value, ArgParsers.Codec(parse.GetValue(codec)!, out _)!.Value,
                ArgParsers.KeyValues(parse.GetValue(producerProperty) ?? [], "--producer-props", out _), parse.GetValue(warmupRecords)), ct);
        });
        return command;
    }

    private static Command Consume(GlobalOptions global, ICommandHandlers handlers)
    {
        var topic = TopicCommands.TopicArgument();
        var numRecords = new Option<long>("--num-records", "--messages")
        {
            Description = "How many records to read.",
            Required = true,
        }.InRange(1, long.MaxValue);
        var timeoutMs = new Option<int>("--timeout-ms")
        {
            Description = "Give up when no record arrives for this long.",
            DefaultValueFactory = _ => 10_000,
        }.InRange(1, int.MaxValue);
        var consumerProperty = ClientCommands.PropertiesOption("--consumer-props", "A consumer setting, name=value. Repeatable.");
        var group = new Option<string?>("--group", "-g")
        {
            Description = "Read as a member of this group: its share of the partitions, from the group's committed offsets (else the beginning), committing as it goes.",
        };
        var command = new Command("consume", "Read records from the beginning and report throughput.")
        {
            topic, numRecords, timeoutMs, consumerProperty, group,
        };
        command.SetAction((parse, ct) => handlers.PerfConsumeAsync(new PerfConsumeArgs(global.Bind(parse), parse.GetValue(topic)!,
            parse.GetValue(numRecords), TimeSpan.FromMilliseconds(parse.GetValue(timeoutMs)),
            ArgParsers.KeyValues(parse.GetValue(consumerProperty) ?? [], "--consumer-props", out _), parse.GetValue(group)), ct));
        return command;
    }
}
