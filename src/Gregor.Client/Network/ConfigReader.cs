using System.Globalization;
using Gregor.Net;

namespace Gregor.Client.Network;

/// <summary>
/// Reads Kafka client settings (string key and value, as ClientConfig holds them) with defaults,
/// failing with the key's name when a value does not parse or is out of range.
/// </summary>
internal sealed class ConfigReader
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public ConfigReader(IEnumerable<KeyValuePair<string, string>> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, value) in config)
            if (value is not null) _values[key] = value;
    }

    public string? String(string key) => _values.GetValueOrDefault(key);

    public string String(string key, string fallback) => _values.GetValueOrDefault(key) ?? fallback;

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!_values.TryGetValue(key, out string? text)) return fallback;
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new ArgumentException($"{key}={text} is not an integer in [{min}, {max}]");
        return value;
    }

    public long Long(string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!_values.TryGetValue(key, out string? text)) return fallback;
        if (!long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            throw new ArgumentException($"{key}={text} is not an integer in [{min}, {max}]");
        return value;
    }

    public TimeSpan Millis(string key, int fallback, int min = 0) => TimeSpan.FromMilliseconds(Int(key, fallback, min));

    public bool Bool(string key, bool fallback)
    {
        if (!_values.TryGetValue(key, out string? text)) return fallback;
        return text.Trim().ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw new ArgumentException($"{key}={text} is not true or false"),
        };
    }

    /// <summary>The settings every client shares: addresses, client id, timeouts, backoff.</summary>
    public ConnectionSettings ConnectionSettings() => new()
    {
        ClientId = String("client.id", "gregor"),
        RequestTimeout = Millis("request.timeout.ms", 30_000, 1),
        ConnectTimeout = Millis("socket.connection.setup.timeout.ms", 30_000, 1),
        ReconnectBackoff = Millis("reconnect.backoff.ms", 100, 0),
        ReconnectBackoffMax = Millis("reconnect.backoff.max.ms", 10_000, 0),
        MaxResponseSize = Int("receive.message.max.bytes", 100_000_000, 1000),
        // ApiVersions names the client, not the networking assembly it uses.
        SoftwareVersion = typeof(ConfigReader).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
    };

    public IReadOnlyList<BrokerEndpoint> BootstrapServers() =>
        BrokerEndpoint.ParseList(String("bootstrap.servers") ?? throw new ArgumentException("bootstrap.servers is required"));
}
