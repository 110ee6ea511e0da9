using System.Globalization;
using Gregor.Client.Admin;

namespace Gregor.Cli.Commands;

/// <summary>Parsing of the values the group commands take; each returns why a value is bad, in one line.</summary>
internal static class GroupArgParsers
{
    private static readonly ConsumerGroupState[] Listable =
    [
        ConsumerGroupState.PreparingRebalance, ConsumerGroupState.CompletingRebalance, ConsumerGroupState.Stable,
        ConsumerGroupState.Dead, ConsumerGroupState.Empty,
    ];

    // kafka-consumer-groups' --to-datetime format, with or without seconds, fraction and zone (none: local time).
    private static readonly string[] DatetimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd",
    ];

    /// <summary>Group states, comma-separated and/or repeated, any case (Stable, Empty, PreparingRebalance, ...).</summary>
    public static List<ConsumerGroupState> States(IEnumerable<string> values, out string? error)
    {
        error = null;
        var states = new List<ConsumerGroupState>();
        foreach (string value in values)
        {
            foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var state = Listable.FirstOrDefault(s => s.ToString().Equals(part, StringComparison.OrdinalIgnoreCase));
                if (state == ConsumerGroupState.Unknown)
                {
                    error = $"--state: '{part}' is not a group state; use {string.Join(", ", Listable)}";
                    return states;
                }
                if (!states.Contains(state)) states.Add(state);
            }
        }
        return states;
    }

    /// <summary>A --topic value: a topic, or topic:p[,p...] for some of its partitions.</summary>
    public static TopicPartitionsSelection? TopicSelection(string value, out string? error)
    {
        error = null;
        int colon = value.IndexOf(':', StringComparison.Ordinal);
        string topic = colon < 0 ? value : value[..colon];
        if (OptionChecks.TopicNameProblem(topic) is { } why)
        {
            error = "--" + why;
            return null;
        }
        if (colon < 0) return new TopicPartitionsSelection(topic, null);
        var partitions = new List<int>();
        foreach (string part in value[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int p))
            {
                error = $"--topic: '{part}' in '{value}' is not a partition number; give topic or topic:0,1,2";
                return null;
            }
            if (!partitions.Contains(p)) partitions.Add(p);
        }
        return new TopicPartitionsSelection(topic, partitions);
    }

    /// <summary>An ISO-8601 date and time (e.g. 2024-05-01T12:00:00.000Z; no zone means local time) as ms since the epoch.</summary>
    public static long? Datetime(string value, out string? error)
    {
        error = null;
        if (DateTimeOffset.TryParseExact(value.Trim(), DatetimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var at))
        {
            if (at.ToUnixTimeMilliseconds() >= 0) return at.ToUnixTimeMilliseconds();
            error = $"--to-datetime: '{value}' is before 1970";
            return null;
        }
        error = $"--to-datetime: '{value}' is not an ISO-8601 date and time such as 2024-05-01T12:00:00.000Z";
        return null;
    }
}
