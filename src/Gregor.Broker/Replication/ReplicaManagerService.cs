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
    private Task? _opening;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Hosting.NodeRuntime.IsClusterBroker(replicas.Config))
        {
            // A broker of a cluster opens its logs in the background: the host starts listening only once every
            // hosted service has started, and a voter must answer the quorum while it recovers many logs. It serves
            // no client and asks to stay fenced until the logs are open (ReplicaManager.IsStarted).
            _opening = Task.Run(replicas.Start, CancellationToken.None);
            _opening.ContinueWith(t => logger.LogCritical(t.Exception, "Opening the partition logs failed; this broker stays fenced"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        else
        {
            replicas.Start();
        }
        _stop = new CancellationTokenSource();
        _maintenance = RunMaintenanceLoopAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_opening is not null)
            await _opening.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
