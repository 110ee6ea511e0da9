using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Replication;

/// <summary>
/// Runs the replica manager with the host: opens the logs on start, runs the log chores every
/// log.retention.check.interval.ms, and closes every log cleanly on stop.
/// </summary>
public sealed class ReplicaManagerService(ReplicaManager replicas, ILogger<ReplicaManagerService> logger) : IHostedService, IDisposable
{
    private CancellationTokenSource? _stop;
    private Task? _maintenance;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        replicas.Start();
        _stop = new CancellationTokenSource();
        _maintenance = RunMaintenanceLoopAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is not null)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            if (_maintenance is not null)
                await _maintenance.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await replicas.StopAsync().ConfigureAwait(false);
    }

    private async Task RunMaintenanceLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(replicas.RetentionCheckInterval, replicas.Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                // The chores do blocking file I/O; keep them off the thread that ticks the timer.
                await Task.Run(replicas.RunMaintenance, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                logger.LogError(error, "Log maintenance failed; it runs again in {Interval}", replicas.RetentionCheckInterval);
            }
        }
    }

    public void Dispose() => _stop?.Dispose();
}
