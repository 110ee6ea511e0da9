namespace Gregor.Broker.Configuration;

/// <summary>
/// Kafka's listener-level form of a connection limit: <c>listener.name.&lt;listener&gt;.max.connections</c> and
/// <c>listener.name.&lt;listener&gt;.max.connection.creation.rate</c>, the listener name in lower case.
/// </summary>
public static class ListenerSetting
{
    private const string Prefix = "listener.name.";

    private static readonly string[] Suffixes = [BrokerSettings.MaxConnections, BrokerSettings.MaxConnectionCreationRate];

    /// <summary>Splits a listener-level name into the listener (upper-cased, as listeners are) and the broker setting it narrows.</summary>
    public static bool TryParse(string name, out string listener, out string setting)
    {
        ArgumentNullException.ThrowIfNull(name);
        listener = setting = "";
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        foreach (string suffix in Suffixes)
        {
            int nameLength = name.Length - Prefix.Length - suffix.Length - 1;
            if (nameLength <= 0 || !name.EndsWith("." + suffix, StringComparison.Ordinal)) continue;
            listener = name.Substring(Prefix.Length, nameLength).ToUpperInvariant();
            setting = suffix;
            return true;
        }
        return false;
    }
}
