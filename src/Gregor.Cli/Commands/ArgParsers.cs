using System.Globalization;
using Gregor.Client;

namespace Gregor.Cli.Commands;

/// <summary>Parsing of the values the commands take; each returns why a value is bad, in one line.</summary>
internal static class ArgParsers
{
    /// <summary>Why a bootstrap list is not host:port[,host:port...], or null.</summary>
    public static string? CheckBootstrap(string value)
    {
        var probe = new ClientConfig();
        probe.Set("bootstrap.servers", value);
        try
        {
            probe.Validate(ConfigScope.Admin);
            return null;
        }
        catch (ConfigException e)
        {
            return e.Problems.Count > 0 ? e.Problems[0].Message : e.Message;
        }
    }

    /// <summary>Parses repeated k=v items (Kafka's --config / --property); a later key wins.</summary>
    public static IReadOnlyDictionary<string, string> KeyValues(IEnumerable<string> items, string optionName, out string? error)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        error = null;
        foreach (string item in items)
        {
            foreach (string part in SplitTopLevel(item))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    error = $"{optionName}: '{part}' is not name=value";
                    return result;
                }
                result[part[..eq].Trim()] = part[(eq + 1)..];
            }
        }
        return result;
    }

    // kafka-configs accepts "a=1,b=2" in one argument; a value with a comma must then be bracketed: "k=[x,y]".
    private static IEnumerable<string> SplitTopLevel(string item)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < item.Length; i++)
        {
            if (item[i] == '[') depth++;
            else if (item[i] == ']' && depth > 0) depth--;
            else if (item[i] == ',' && depth == 0)
            {
                if (i > start) yield return item[start..i];
                start = i + 1;
            }
        }
        if (start < item.Length) yield return item[start..];
    }

    /// <summary>A starting offset: earliest, latest, or a non-negative offset number.</summary>
    public static Offset? StartOffset(string value, out string? error)
    {
        error = null;
        switch (value.Trim().ToLowerInvariant())
        {
            case "earliest" or "beginning":
                return Offset.Beginning;
            case "latest" or "end":
                return Offset.End;
        }
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long offset)) return new Offset(offset);
        error = $"--offset: '{value}' is not earliest, latest or an offset number";
        return null;
    }

    /// <summary>A point in time: Unix milliseconds, or an ISO 8601 date and time (UTC unless it names an offset).</summary>
    public static long? Timestamp(string value, out string? error)
    {
        error = null;
        string text = value.Trim();
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long ms)) return ms;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var time))
            return time.ToUnixTimeMilliseconds();
        error = $"--from-timestamp: '{value}' is neither Unix milliseconds nor an ISO 8601 date and time";
        return null;
    }

    /// <summary>Parses Kafka's --acks values: all, -1, 0, 1.</summary>
    public static Acks? AcksValue(string value, out string? error)
    {
        error = null;
        switch (value.Trim().ToLowerInvariant())
        {
            case "all" or "-1":
                return Acks.All;
            case "1":
                return Acks.Leader;
            case "0":
                return Acks.None;
            default:
                error = $"--acks: '{value}' is not all, -1, 0 or 1";
                return null;
        }
    }

    public static CompressionType? Codec(string value, out string? error)
    {
        error = null;
        switch (value.Trim().ToLowerInvariant())
        {
            case "none": return CompressionType.None;
            case "gzip": return CompressionType.Gzip;
            case "snappy": return CompressionType.Snappy;
            case "lz4": return CompressionType.Lz4;
            case "zstd": return CompressionType.Zstd;
            default:
                error = $"--compression-codec: '{value}' is not none, gzip, snappy, lz4 or zstd";
                return null;
        }
    }

    /// <summary>A positive duration: seconds, or a number followed by ms, s, m or h (500ms, 30s, 1.5m).</summary>
    public static TimeSpan? Duration(string value, string optionName, out string? error)
    {
        error = null;
        string text = value.Trim().ToLowerInvariant();
        (string number, double unitMs) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1.0),
            _ when text.EndsWith('s') => (text[..^1], 1000.0),
            _ when text.EndsWith('m') => (text[..^1], 60_000.0),
            _ when text.EndsWith('h') => (text[..^1], 3_600_000.0),
            _ => (text, 1000.0),
        };
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount)
            && amount * unitMs is var ms && ms >= 1 && ms <= TimeSpan.FromDays(365).TotalMilliseconds)
            return TimeSpan.FromMilliseconds(ms);
        error = $"{optionName}: '{value}' is not a duration from 1ms to 365 days (seconds, or a number with ms, s, m or h)";
        return null;
    }

    /// <summary>Kafka's escape sequences in separators given on a command line (\t, \n).</summary>
    public static string Unescape(string value) =>
        value.Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
}
