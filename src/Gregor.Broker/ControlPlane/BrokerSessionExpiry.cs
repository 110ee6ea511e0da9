using Gregor.Broker.Configuration;
using Gregor.Broker.Handlers;
using Gregor.Metadata.Controller;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// While this node is the active controller, fences the brokers whose sessions expired: runs
/// <see cref="QuorumController.CheckSessionsAsync"/> every <see cref="Period"/> on the injected clock, from
/// <see cref="Start"/> until <see cref="StopAsync"/>.
/// </summary>
public sealed class BrokerSessionExpiry(QuorumController controller, TimeSpan period, TimeProvider time, ILogger logger)
{
    private readonly object _lock = new();
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

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

    public TimeSpan Period => period;

    /// <summary>Starts checking (nothing happens if it checks already).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_stop is not null) return;
            _stop = new CancellationTokenSource();
            _loop = RunAsync(_stop.Token);
        }
    }

    /// <summary>Stops checking; completes once a check under way has ended.</summary>
    public async Task StopAsync()
    {
        CancellationTokenSource? stop;
        Task loop;
        lock (_lock)
        {
            stop = _stop;
            loop = _loop;
            _stop = null;
        }
        if (stop is null) return;
        await stop.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    var fenced = await controller.CheckSessionsAsync(stop).ConfigureAwait(false);
                    if (fenced.Count > 0)
                        logger.LogWarning("Fenced broker(s) {Brokers}: no heartbeat within broker.session.timeout.ms ({TimeoutMs} ms)",
                            string.Join(",", fenced), (long)controller.Settings.BrokerSessionTimeout.TotalMilliseconds);
                }
                catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
                {
                    // Leadership is moving away; the host stops this loop when it deactivates the controller.
                    logger.LogDebug("Broker session check skipped: {Reason}", e.Message);
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    logger.LogError(e, "Broker session check failed");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
