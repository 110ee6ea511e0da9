using System.Globalization;
using System.Net;

namespace Gregor.Broker.Configuration;

/// <summary>
/// Parses <c>listeners</c> and <c>advertised.listeners</c>: a comma-separated list of
/// <c>NAME://host:port</c>, host empty for every interface and an IPv6 address in brackets.
/// Names are upper-cased as Kafka normalises them and must be unique.
/// </summary>
public static class ListenerParser
{
    // Gregor serves plaintext only; a listener that promises TLS or SASL must not silently be plaintext.
    private static readonly string[] SecuredNames = ["SSL", "SASL_PLAINTEXT", "SASL_SSL"];

    public static IReadOnlyList<ListenerEndpoint> Parse(string setting, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var endpoints = new List<ListenerEndpoint>();
        foreach (string entry in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            ListenerEndpoint endpoint = ParseOne(setting, value, entry);
            if (endpoints.Exists(e => e.Name == endpoint.Name))
                throw BrokerConfigException.InvalidValue(setting, value, $"listener name {endpoint.Name} appears twice");
            endpoints.Add(endpoint);
        }
        if (endpoints.Count == 0)
            throw BrokerConfigException.InvalidValue(setting, value, "expected at least one NAME://host:port");
        return endpoints;
    }

    private static ListenerEndpoint ParseOne(string setting, string value, string entry)
    {
        int schemeEnd = entry.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
            throw BrokerConfigException.InvalidValue(setting, value, $"'{entry}' is not NAME://host:port");
        string name = entry[..schemeEnd].ToUpperInvariant();
        foreach (char c in name)
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
                throw BrokerConfigException.InvalidValue(setting, value, $"listener name '{entry[..schemeEnd]}' may hold only letters, digits and _");
        if (Array.IndexOf(SecuredNames, name) >= 0)
            throw BrokerConfigException.InvalidValue(setting, value, $"{name} listeners are not supported (plaintext only)");

        string hostPort = entry[(schemeEnd + 3)..];
        int colon = hostPort.LastIndexOf(':');
        if (colon < 0)
            throw BrokerConfigException.InvalidValue(setting, value, $"'{entry}' has no port");
        string host = hostPort[..colon];
        string portText = hostPort[(colon + 1)..];
        if (host.StartsWith('['))
        {
            if (!host.EndsWith(']') || !IPAddress.TryParse(host[1..^1], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                throw BrokerConfigException.InvalidValue(setting, value, $"'{host}' is not a bracketed IPv6 address");
            host = host[1..^1];
        }
        else if (host.Contains(':') || host.Contains('/') || host.Contains('[') || host.Contains(']'))
        {
            throw BrokerConfigException.InvalidValue(setting, value, $"'{host}' is not a host name or address (write IPv6 addresses in brackets)");
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw BrokerConfigException.InvalidValue(setting, value, $"'{portText}' is not a port between 0 and 65535");
        return new ListenerEndpoint(name, host, port);
    }
}
