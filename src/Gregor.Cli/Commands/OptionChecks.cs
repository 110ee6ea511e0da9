using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Gregor.Cli.Commands;

/// <summary>Validators that put a one-line reason on a bad option or argument value.</summary>
internal static class OptionChecks
{
    public static Option<T> InRange<T>(this Option<T> option, long min, long max)
        where T : struct
    {
        option.Validators.Add(result =>
        {
            // An unparseable token is reported by the parser itself; only check numbers here.
            if (result.Tokens.Count == 0
                || !long.TryParse(result.Tokens[^1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                return;
            if (value < min || value > max)
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name}: {value} is not from {min} to {max}"));
        });
        return option;
    }

    /// <summary>Checks each raw value with <paramref name="why"/>, which returns the reason it is bad or null.</summary>
    public static Option<T> Check<T>(this Option<T> option, Func<string, string?> why)
    {
        option.Validators.Add(result =>
        {
            foreach (Token token in result.Tokens)
                if (why(token.Value) is { } reason) result.AddError(reason);
        });
        return option;
    }

    public static Option<string[]> CheckKeyValues(this Option<string[]> option) =>
        option.Check(value =>
        {
            ArgParsers.KeyValues([value], option.Name, out string? error);
            return error;
        });

    /// <summary>Kafka's topic name rules: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..".</summary>
    public static Argument<string> TopicName(this Argument<string> argument)
    {
        argument.Validators.Add(result =>
        {
            string? topic = result.GetValueOrDefault<string>();
            if (TopicNameProblem(topic) is { } why) result.AddError(why);
        });
        return argument;
    }

    public static string? TopicNameProblem(string? topic)
    {
        if (string.IsNullOrEmpty(topic)) return "topic: the name is empty";
        if (topic.Length > 249) return string.Create(CultureInfo.InvariantCulture, $"topic: the name is {topic.Length} characters; at most 249 are allowed");
        if (topic is "." or "..") return $"topic: '{topic}' is not allowed as a name";
        foreach (char c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return $"topic: '{topic}' has '{c}'; names use only letters, digits, '.', '_' and '-'";
        }
        return null;
    }
}
