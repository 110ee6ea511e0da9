using Gregor.Broker.Handlers;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// A chore the active controller runs every <see cref="Period"/> on the injected clock, from <see cref="Start"/> until
/// <see cref="StopAsync"/> (the host starts it on activation and stops it when leadership goes). A run that fails
/// because leadership is moving is skipped quietly; any other failure is logged and the next run goes on.
/// </summary>
public sealed class ControllerPeriodicWork(string name, TimeSpan period, Func<CancellationToken, Task> work, TimeProvider time, ILogger logger)
{
    private readonly object _lock = new();
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    public string Name => name;

    public TimeSpan Period => period;

    /// <summary>Starts running (nothing happens if it runs already).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_stop is not null) return;
            _stop = new CancellationTokenSource();
            _loop = RunAsync(_stop.Token);
        }
    }

    /// <summary>Stops running; completes once a run under way has ended.</summary>
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
                    await work(stop).ConfigureAwait(false);
                }
                catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
                {
                    // Leadership is moving away; the host stops this loop when it deactivates the controller.
                    logger.LogDebug("{Work} skipped: {Reason}", name, e.Message);
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    logger.LogError(e, "{Work} failed", name);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
