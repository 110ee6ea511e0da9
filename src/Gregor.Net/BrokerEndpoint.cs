using System.Globalization;

namespace Gregor.Net;

/// <summary>Where a broker listens: a host name or address and a TCP port.</summary>
public readonly record struct BrokerEndpoint(string Host, int Port)
{
    /// <summary>Parses "host:port" (an IPv6 address in brackets: "[::1]:9092"); a missing port means Kafka's 9092.</summary>
    public static BrokerEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        int schemeEnd = s.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0) s = s[(schemeEnd + 3)..];
        if (s.Length == 0) throw new ArgumentException("an empty broker address", nameof(text));
        string host;
        string? port = null;
        if (s[0] == '[')
        {
            int close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw new ArgumentException($"broker address '{text}' has an unclosed '['", nameof(text));
            host = s[1..close];
            if (close + 1 < s.Length)
            {
                if (s[close + 1] != ':') throw new ArgumentException($"broker address '{text}' is not host:port", nameof(text));
                port = s[(close + 2)..];
            }
        }
        else
        {
            int colon = s.LastIndexOf(':');
            host = colon < 0 ? s : s[..colon];
            if (colon >= 0) port = s[(colon + 1)..];
        }
        if (host.Length == 0) throw new ArgumentException($"broker address '{text}' has no host", nameof(text));
        int portNumber = 9092;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
            throw new ArgumentException($"broker address '{text}' has no valid port (1-65535)", nameof(text));
        return new BrokerEndpoint(host, portNumber);
    }

    /// <summary>The comma-separated list of bootstrap.servers.</summary>
    public static IReadOnlyList<BrokerEndpoint> ParseList(string? list)
    {
        var endpoints = new List<BrokerEndpoint>();
        foreach (string part in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            endpoints.Add(Parse(part));
        if (endpoints.Count == 0) throw new ArgumentException("bootstrap.servers names no broker");
        return endpoints;
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
