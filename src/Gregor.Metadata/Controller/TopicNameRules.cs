namespace Gregor.Metadata.Controller;

/// <summary>Kafka's rules for topic names: [a-zA-Z0-9._-], 1 to 249 characters, not "." or "..".</summary>
public static class TopicNameRules
{
    public const int MaxLength = 249;

    /// <summary>Null when <paramref name="name"/> is a legal topic name, else why not.</summary>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "Topic name is illegal, it can't be empty";
        if (name is "." or "..") return "Topic name cannot be \".\" or \"..\"";
        if (name.Length > MaxLength) return $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}";
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
        return null;
    }

    /// <summary>Metric names replace '.' by '_', so two names equal after that would collide.</summary>
    public static string CollisionKey(string name) => name.Replace('.', '_');

    public static bool HasCollisionChars(string name) => name.Contains('.', StringComparison.Ordinal) || name.Contains('_', StringComparison.Ordinal);
}
