using Gregor.Storage;

namespace Gregor.Broker.Configuration;

/// <summary>
/// The broker's settings, under Kafka's names and with Kafka's defaults (except where noted), so
/// an operator's server.properties means here what it means to Kafka. Parsed and validated by
/// <c>BrokerConfigParser</c>; every value here has already been checked.
/// </summary>
public sealed record BrokerConfig
{
    public int NodeId { get; init; } = 1;

    /// <summary><c>listeners</c>: where the broker binds. Kafka's default binds every interface; ours binds loopback so a first start exposes nothing.</summary>
    public IReadOnlyList<ListenerEndpoint> Listeners { get; init; } = [new ListenerEndpoint("PLAINTEXT", "localhost", 9092)];

    /// <summary><c>advertised.listeners</c>: what Metadata tells clients; defaults to <see cref="Listeners"/>.</summary>
    public IReadOnlyList<ListenerEndpoint>? AdvertisedListeners { get; init; }

    /// <summary><c>log.dirs</c> (or <c>log.dir</c>). Ours defaults to a folder under the working directory rather than /tmp.</summary>
    public IReadOnlyList<string> LogDirs { get; init; } = ["./data"];

    public int NumPartitions { get; init; } = 1;

    public short DefaultReplicationFactor { get; init; } = 1;

    public bool AutoCreateTopicsEnable { get; init; } = true;

    /// <summary><c>message.max.bytes</c>: the largest record batch the broker accepts (topic override: <c>max.message.bytes</c>).</summary>
    public int MessageMaxBytes { get; init; } = 1024 * 1024 + 12;

    /// <summary><c>socket.request.max.bytes</c>: the largest request frame, refused before any allocation.</summary>
    public int SocketRequestMaxBytes { get; init; } = 100 * 1024 * 1024;

    public long ConnectionsMaxIdleMs { get; init; } = 10 * 60 * 1000;

    /// <summary>The topic-level defaults that come from the broker's <c>log.*</c> settings.</summary>
    public LogConfig LogDefaults { get; init; } = LogConfig.Default;

    /// <summary>Every setting as given (file, then overrides), by Kafka name, for DescribeConfigs.</summary>
    public IReadOnlyDictionary<string, string> Explicit { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<ListenerEndpoint> EffectiveAdvertisedListeners => AdvertisedListeners ?? Listeners;
}

/// <summary>One entry of <c>listeners</c>: <c>NAME://host:port</c>. An empty host means every interface.</summary>
public sealed record ListenerEndpoint(string Name, string Host, int Port);
