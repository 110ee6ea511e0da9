using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>A BrokerRegistration request's facts: who registers, for which cluster, as which process instance, reachable where.</summary>
public sealed record BrokerRegistrationRequest(
    int BrokerId,
    string ClusterId,
    KafkaUuid IncarnationId,
    IReadOnlyList<BrokerEndpointInfo> Endpoints,
    string? Rack)
{
    /// <summary>
    /// The broker epoch the process had when it last shut down cleanly (BrokerRegistration v3+), or -1: it did not
    /// (it was killed, or crashed), so its log may have lost records it had acknowledged (KIP-966).
    /// </summary>
    public long PreviousBrokerEpoch { get; init; } = -1;
}

/// <summary>The answer to a registration: on success the broker epoch its heartbeats must carry, else -1.</summary>
public sealed record BrokerRegistrationOutcome(ErrorCode Error, string? Message, long BrokerEpoch)
{
    public static BrokerRegistrationOutcome Failed(ErrorCode error, string message) => new(error, message, -1);
}

/// <summary>A BrokerHeartbeat request's facts.</summary>
/// <param name="CurrentMetadataOffset">The highest metadata offset the broker has applied.</param>
/// <param name="WantFence">The broker asks to be (or stay) fenced, as it does before it is ready to serve.</param>
/// <param name="WantShutDown">The broker wants to shut down: its leadership is moved away first.</param>
public sealed record BrokerHeartbeat(int BrokerId, long BrokerEpoch, long CurrentMetadataOffset, bool WantFence, bool WantShutDown)
{
    /// <summary>Where the broker's replicas of partitions without a leader (in its image) end, for the unclean recovery.</summary>
    public IReadOnlyList<LeaderlessReplicaReport> LeaderlessReplicas { get; init; } = [];
}

/// <summary>
/// The answer to a heartbeat, the fields of Kafka's BrokerHeartbeat response (and whether the broker is now in
/// controlled shutdown, which the response does not carry).
/// </summary>
public sealed record BrokerHeartbeatOutcome(ErrorCode Error, string? Message, bool IsCaughtUp, bool IsFenced, bool InControlledShutdown, bool ShouldShutDown)
{
    /// <summary>Kafka's response defaults for an error: fenced, not caught up.</summary>
    public static BrokerHeartbeatOutcome Failed(ErrorCode error, string message) => new(error, message, false, true, false, false);

    /// <summary>Partitions this heartbeat's reports let the unclean recovery elect a leader for, as topic-partition names (for the log).</summary>
    public IReadOnlyList<string> RecoveredPartitions { get; init; } = [];
}

/// <summary>Where a broker is in its lifecycle, as the controller sees it when a heartbeat arrives (Kafka's BrokerControlState).</summary>
internal enum BrokerLifecycleState
{
    Fenced,
    Unfenced,
    ControlledShutdown,
    ShutdownNow,
}
