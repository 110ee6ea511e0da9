namespace Gregor.Broker.Configuration;

/// <summary>How a broker keeps its registration with the controller alive, under Kafka's names and with Kafka's defaults.</summary>
public sealed record BrokerLifecycleSettings
{
    /// <summary><c>broker.session.timeout.ms</c>: a broker without a heartbeat for this long is fenced by the controller.</summary>
    public int SessionTimeoutMs { get; init; } = 9000;

    /// <summary><c>broker.heartbeat.interval.ms</c>: how often a broker sends the controller a heartbeat.</summary>
    public int HeartbeatIntervalMs { get; init; } = 2000;
}
