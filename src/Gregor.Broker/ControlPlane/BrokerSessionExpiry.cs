using Gregor.Broker.Configuration;
using Gregor.Metadata.Controller;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// While this node is the active controller, fences the brokers whose sessions expired: runs
/// <see cref="QuorumController.CheckSessionsAsync"/> every <see cref="PeriodFor"/> on the injected clock, then ends the
/// unclean recoveries that have waited long enough (<see cref="QuorumController.CheckUncleanRecoveriesAsync"/>).
/// </summary>
public static class BrokerSessionExpiry
{
    /// <summary>
    /// How often sessions are checked: a broker is fenced at most this long after its session ran out. Kafka's
    /// controller schedules the check for the moment the next session runs out; a fixed period is simpler, and at
    /// the smaller of one second and the heartbeat interval it stays a small part of the session timeout (9 s by
    /// default, always more than the interval). A check that finds nothing takes the controller's lock briefly and
    /// writes nothing.
    /// </summary>
    public static TimeSpan PeriodFor(BrokerLifecycleSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return TimeSpan.FromMilliseconds(Math.Min(1000, settings.HeartbeatIntervalMs));
    }

    public static ControllerPeriodicWork Create(QuorumController controller, TimeSpan period, TimeProvider time, ILogger logger) =>
        new("Broker session check", period, async stop =>
        {
            var fenced = await controller.CheckSessionsAsync(stop).ConfigureAwait(false);
            if (fenced.Count > 0)
                logger.LogWarning("Fenced broker(s) {Brokers}: no heartbeat within broker.session.timeout.ms ({TimeoutMs} ms)",
                    string.Join(",", fenced), (long)controller.Settings.BrokerSessionTimeout.TotalMilliseconds);
            var recovered = await controller.CheckUncleanRecoveriesAsync(stop).ConfigureAwait(false);
            if (recovered.Count > 0)
                logger.LogWarning("Unclean recovery elected leaders for {Partitions} after unclean.recovery.timeout.ms ({TimeoutMs} ms) among the replicas that reported",
                    string.Join(",", recovered.Take(20)), (long)controller.Settings.UncleanRecoveryTimeout.TotalMilliseconds);
        }, time, logger);
}
