using System.Collections;
using System.Globalization;

namespace Gregor.Client;

/// <summary>
/// Client settings as Kafka names them, held as strings (as Confluent.Kafka does), with typed accessors.
/// Setting a key never fails; <see cref="Validate(ConfigScope)"/> (run by every client builder) rejects unknown
/// keys and bad values with a message naming the setting. librdkafka aliases are stored under Kafka's name.
/// </summary>
public class Config : IEnumerable<KeyValuePair<string, string>>
{
    private readonly Dictionary<string, string> _properties = new(StringComparer.Ordinal);

    public Config()
    {
    }

    public Config(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, value) in config) Set(key, value);
    }

    public Config(IDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, value) in config) Set(key, value);
    }

    public int Count => _properties.Count;

    /// <summary>Sets a setting by its Kafka (or librdkafka alias) name; null removes it.</summary>
    public void Set(string key, string? val)
    {
        ArgumentNullException.ThrowIfNull(key);
        key = ConfigDefinitions.Canonical(key.Trim());
        if (val is null) _properties.Remove(key);
        else _properties[key] = val;
    }

    /// <summary>The value set for a key, or null when it was not set (defaults are not returned here).</summary>
    public string? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _properties.TryGetValue(ConfigDefinitions.Canonical(key), out string? value) ? value : null;
    }

    /// <summary>The value set for a key, or the key's default when it was not set.</summary>
    public string? GetOrDefault(string key) =>
        Get(key) ?? (ConfigDefinitions.ByName.TryGetValue(ConfigDefinitions.Canonical(key), out var d) ? d.Default : null);

    public bool IsSet(string key) => Get(key) is not null;

    /// <summary>
    /// Checks every setting for a client of <paramref name="scope"/>: unknown keys and bad values throw one
    /// <see cref="ConfigException"/> listing all problems. Returns warnings for known settings that this kind of
    /// client ignores (e.g. <c>group.id</c> on a producer), as librdkafka does.
    /// </summary>
    public IReadOnlyList<string> Validate(ConfigScope scope)
    {
        var problems = new List<ConfigException>();
        var warnings = new List<string>();
        foreach (var (key, value) in _properties)
        {
            if (!ConfigDefinitions.ByName.TryGetValue(key, out var definition))
            {
                string? suggestion = ConfigDefinitions.Suggest(key);
                problems.Add(new ConfigException(key,
                    $"Unknown setting '{key}'" + (suggestion is null ? "." : $"; did you mean '{suggestion}'?")));
                continue;
            }
            if ((definition.Scope & scope) == 0)
            {
                warnings.Add($"Setting '{key}' does not apply to a {ScopeName(scope)} and is ignored.");
                continue;
            }
            if (definition.Check(value) is { } why)
                problems.Add(new ConfigException(key, $"Setting '{key}': {why}."));
        }
        if ((scope & (ConfigScope.Producer | ConfigScope.Consumer | ConfigScope.Admin)) != 0 && !IsSet("bootstrap.servers"))
            problems.Add(new ConfigException("bootstrap.servers", "Setting 'bootstrap.servers' is required (host:port[,host:port...])."));
        if (problems.Count == 0) CheckCombinations(scope, problems);
        if (problems.Count > 0) throw new ConfigException(problems);
        return warnings;
    }

    /// <summary>Rules between settings; called only when every value parses.</summary>
    private protected virtual void CheckCombinations(ConfigScope scope, List<ConfigException> problems)
    {
    }

    private static string ScopeName(ConfigScope scope) => scope switch
    {
        ConfigScope.Producer => "producer",
        ConfigScope.Consumer => "consumer",
        ConfigScope.Admin => "admin client",
        _ => "client",
    };

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Typed access. A value that does not parse throws a ConfigException naming the key.

    private protected string? GetString(string key) => GetOrDefault(key);

    private protected int GetInt(string key)
    {
        long value = GetLong(key);
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new ConfigException(key, string.Create(CultureInfo.InvariantCulture, $"Setting '{key}': {value} does not fit in 32 bits."));
    }

    private protected long GetLong(string key)
    {
        string raw = RequireValue(key);
        if (ConfigDefinitions.ByName[key].Check(raw) is { } why) throw new ConfigException(key, $"Setting '{key}': {why}.");
        return long.Parse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    private protected bool GetBool(string key)
    {
        string raw = RequireValue(key);
        return ConfigDefinition.ParseBool(raw) ?? throw new ConfigException(key, $"Setting '{key}': '{raw}' is not true or false.");
    }

    /// <summary>The value lower-cased and checked against the allowed choices.</summary>
    private protected string GetChoice(string key)
    {
        string raw = RequireValue(key);
        if (ConfigDefinitions.ByName[key].Check(raw) is { } why) throw new ConfigException(key, $"Setting '{key}': {why}.");
        return raw.Trim().ToLowerInvariant();
    }

    private protected void SetInt(string key, long value) => Set(key, value.ToString(CultureInfo.InvariantCulture));

    private protected void SetBool(string key, bool value) => Set(key, value ? "true" : "false");

    private string RequireValue(string key) =>
        GetOrDefault(key) ?? throw new ConfigException(key, $"Setting '{key}' is not set and has no default.");
}
