using System.Globalization;

namespace Gregor.Client;

internal enum ConfigType
{
    String,
    Int,
    Long,
    Bool,

    /// <summary>One of <see cref="ConfigDefinition.Allowed"/>, compared ignoring case.</summary>
    Choice,

    /// <summary>A comma-separated list whose items are each one of <see cref="ConfigDefinition.Allowed"/>.</summary>
    ChoiceList,

    /// <summary>A comma-separated list of host:port.</summary>
    HostPortList,
}

/// <summary>One known client setting: its Kafka name, type, default, bounds and the clients it applies to.</summary>
internal sealed record ConfigDefinition(
    string Name,
    ConfigType Type,
    string? Default,
    ConfigScope Scope,
    long Min = long.MinValue,
    long Max = long.MaxValue,
    string[]? Allowed = null)
{
    /// <summary>Why <paramref name="value"/> is not allowed, or null when it is.</summary>
    public string? Check(string value)
    {
        switch (Type)
        {
            case ConfigType.Int:
            case ConfigType.Long:
                if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number)
                    || (Type == ConfigType.Int && number is < int.MinValue or > int.MaxValue))
                    return $"'{value}' is not a whole number";
                if (number < Min) return string.Create(CultureInfo.InvariantCulture, $"{number} is below the minimum {Min}");
                if (number > Max) return string.Create(CultureInfo.InvariantCulture, $"{number} is above the maximum {Max}");
                return null;
            case ConfigType.Bool:
                return ParseBool(value) is null ? $"'{value}' is not true or false" : null;
            case ConfigType.Choice:
                return IsAllowed(value.Trim()) ? null : $"'{value}' is not one of {string.Join(", ", Allowed!)}";
            case ConfigType.ChoiceList:
                foreach (string item in SplitList(value))
                    if (!IsAllowed(item)) return $"'{item}' is not one of {string.Join(", ", Allowed!)}";
                return SplitList(value).Length == 0 ? "the list is empty" : null;
            case ConfigType.HostPortList:
                string[] hosts = SplitList(value);
                if (hosts.Length == 0) return "no host:port given";
                foreach (string host in hosts)
                    if (!TryParseHostPort(host, out _, out _)) return $"'{host}' is not host:port with a port from 1 to 65535";
                return null;
            default:
                return null;
        }
    }

    private bool IsAllowed(string value) => Allowed!.Any(a => string.Equals(a, value, StringComparison.OrdinalIgnoreCase));

    public static bool? ParseBool(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => null,
    };

    public static string[] SplitList(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Parses host:port, [v6]:port, or a bare v6 address with a port after the last colon.</summary>
    public static bool TryParseHostPort(string value, out string host, out int port)
    {
        host = "";
        port = 0;
        // Kafka allows a security protocol prefix such as PLAINTEXT://
        int scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) value = value[(scheme + 3)..];
        int colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1) return false;
        string hostPart = value[..colon];
        if (hostPart.StartsWith('[') && hostPart.EndsWith(']')) hostPart = hostPart[1..^1];
        if (hostPart.Length == 0 || hostPart.Any(char.IsWhiteSpace)) return false;
        if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            return false;
        host = hostPart;
        return true;
    }
}
