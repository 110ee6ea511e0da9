namespace Gregor.Net;

/// <summary>How connections to brokers behave; built from the client's configuration.</summary>
public sealed record ConnectionSettings
{
    public string ClientId { get; init; } = "gregor";

    /// <summary>request.timeout.ms: a request unanswered this long breaks its connection.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>socket.connection.setup.timeout.ms: TCP connect plus ApiVersions.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>reconnect.backoff.ms: wait after the first failed attempt; doubles per failure.</summary>
    public TimeSpan ReconnectBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>reconnect.backoff.max.ms: the ceiling of that doubling.</summary>
    public TimeSpan ReconnectBackoffMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>receive.message.max.bytes: a response frame larger than this breaks the connection before it is buffered.</summary>
    public int MaxResponseSize { get; init; } = 100_000_000;

    /// <summary>Name and version sent in ApiVersions v3+ (KIP-511).</summary>
    public string SoftwareName { get; init; } = "gregor-dotnet";

    public string SoftwareVersion { get; init; } = typeof(ConnectionSettings).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
