namespace Gregor.Client;

/// <summary>A client setting is unknown or has a value that is not allowed; the message names the setting.</summary>
public sealed class ConfigException : ArgumentException
{
    public ConfigException(string key, string message)
        : base(message) => Key = key;

    public ConfigException(IReadOnlyList<ConfigException> problems)
        : base(string.Join(Environment.NewLine, problems.Select(p => p.Message)))
    {
        Key = problems.Count > 0 ? problems[0].Key : "";
        Problems = problems;
    }

    /// <summary>The (first) setting at fault.</summary>
    public string Key { get; }

    /// <summary>Every problem found when several were reported at once.</summary>
    public IReadOnlyList<ConfigException> Problems { get; } = [];
}
