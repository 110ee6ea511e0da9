using System.Globalization;

namespace Gregor.Metadata.Configs;

/// <summary>
/// One config Gregor knows: its type, its default (null when it has none), the check a value must pass,
/// a line of documentation, and — for a topic config — the broker configs it falls back to, in order.
/// </summary>
public sealed record ConfigDefinition(
    string Name,
    ConfigType Type,
    string? Default,
    Func<string, string?> Validate,
    string Documentation)
{
    /// <summary>Broker configs that supply this topic config's value when the topic sets none, most specific first.</summary>
    public IReadOnlyList<BrokerSynonym> Synonyms { get; init; } = [];

    /// <summary>For a broker config: whether it can be changed at run time through the config APIs.</summary>
    public bool DynamicallyUpdatable { get; init; }

    public bool IsList => Type == ConfigType.List;
}

/// <summary>A broker config standing in for a topic config, and how its value converts to the topic config's units.</summary>
public sealed record BrokerSynonym(string Name, long UnitMultiplier = 1)
{
    /// <summary>The broker value in the topic config's units (log.retention.hours=2 is retention.ms=7200000).</summary>
    public string ToTopicValue(string brokerValue)
    {
        if (UnitMultiplier == 1) return brokerValue;
        long value = long.Parse(brokerValue, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return (value < 0 ? value : checked(value * UnitMultiplier)).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Value checks shared by the catalogs; each returns null for a good value or says what is wrong.</summary>
internal static class ConfigValidators
{
    public static Func<string, string?> Int(int min, int max = int.MaxValue) => v =>
        !int.TryParse(v.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int x) ? $"'{v}' is not a 32-bit integer"
        : x < min || x > max ? (max == int.MaxValue ? $"value must be at least {min}" : $"value must be in [{min}, {max}]")
        : null;

    public static Func<string, string?> Long(long min, long max = long.MaxValue) => v =>
        !long.TryParse(v.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long x) ? $"'{v}' is not a 64-bit integer"
        : x < min || x > max ? (max == long.MaxValue ? $"value must be at least {min}" : $"value must be in [{min}, {max}]")
        : null;

    public static Func<string, string?> Ratio() => v =>
        !double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? $"'{v}' is not a number"
        : x is < 0 or > 1 ? "value must be in [0, 1]"
        : null;

    public static Func<string, string?> Boolean() => v =>
        v.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) || v.Trim().Equals("false", StringComparison.OrdinalIgnoreCase)
            ? null : $"'{v}' is not true or false";

    public static Func<string, string?> OneOf(params string[] allowed) => v =>
        allowed.Contains(v.Trim(), StringComparer.Ordinal) ? null : $"'{v}' is not one of {string.Join(", ", allowed)}";

    public static Func<string, string?> ListOf(bool allowEmpty, params string[] allowed) => v =>
    {
        string[] items = SplitList(v);
        if (items.Length == 0 && !allowEmpty) return "the list must not be empty";
        foreach (string item in items)
            if (!allowed.Contains(item, StringComparer.Ordinal)) return $"'{item}' is not one of {string.Join(", ", allowed)}";
        return null;
    };

    /// <summary>Throttled-replica lists: empty, "*", or partition:broker pairs.</summary>
    public static Func<string, string?> ThrottledReplicas() => v =>
    {
        string[] items = SplitList(v);
        if (items is ["*"]) return null;
        foreach (string item in items)
        {
            string[] pair = item.Split(':');
            if (pair.Length != 2 || !int.TryParse(pair[0], NumberStyles.None, CultureInfo.InvariantCulture, out _) || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                return $"'{item}' is not '*' or partition:broker";
        }
        return null;
    };

    public static Func<string, string?> Any() => _ => null;

    public static string[] SplitList(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
