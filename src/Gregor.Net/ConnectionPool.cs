using System.Collections.Concurrent;

namespace Gregor.Net;

/// <summary>
/// One live connection per broker address, shared by everything the client does there (bootstrap
/// addresses and brokers learnt from metadata alike; a node id maps to its address through
/// metadata). Concurrent callers share one connection attempt. After a failed attempt the next
/// waits reconnect.backoff.ms, doubling per consecutive failure up to reconnect.backoff.max.ms,
/// with ±20% jitter so that many clients do not reconnect in step.
/// </summary>
public sealed class ConnectionPool : IAsyncDisposable
{
    private readonly ConnectionSettings _settings;
    private readonly ConcurrentDictionary<BrokerEndpoint, Slot> _slots = new();
    private readonly CancellationTokenSource _disposed = new();

    public ConnectionPool(ConnectionSettings settings) => _settings = settings;

    public ConnectionSettings Settings => _settings;

    /// <summary>The live connection to <paramref name="endpoint"/>, connecting (after any backoff) if there is none.</summary>
    public Task<BrokerConnection> GetAsync(BrokerEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var slot = _slots.GetOrAdd(endpoint, static e => new Slot(e));
        lock (slot)
        {
            if (slot.Current is { } current && (!current.IsCompleted || (current.IsCompletedSuccessfully && current.Result.IsAlive)))
                return current.WaitAsync(cancellationToken);
            slot.Current = ConnectWithBackoffAsync(slot);
            return slot.Current.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Whether a connection to the address is up now (no connecting).</summary>
    public bool IsConnected(BrokerEndpoint endpoint) =>
        _slots.TryGetValue(endpoint, out var slot) && slot.Current is { IsCompletedSuccessfully: true } t && t.Result.IsAlive;

    private async Task<BrokerConnection> ConnectWithBackoffAsync(Slot slot)
    {
        var clock = _settings.Clock;
        var wait = slot.NextAttempt - clock.GetUtcNow();
        if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, _disposed.Token).ConfigureAwait(false);
        try
        {
            var connection = await BrokerConnection.ConnectAsync(slot.Endpoint, _settings, _disposed.Token).ConfigureAwait(false);
            slot.Failures = 0;
            return connection;
        }
        catch (Exception) when (!_disposed.IsCancellationRequested)
        {
            slot.Failures++;
            slot.NextAttempt = clock.GetUtcNow() + Backoff(slot.Failures);
            throw;
        }
    }

    private TimeSpan Backoff(int failures)
    {
        double ms = _settings.ReconnectBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        ms = Math.Min(ms, _settings.ReconnectBackoffMax.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested) return;
        await _disposed.CancelAsync().ConfigureAwait(false);
        foreach (var slot in _slots.Values)
        {
            Task<BrokerConnection>? current;
            lock (slot) current = slot.Current;
            if (current is null) continue;
            try
            {
                var connection = await current.ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // never connected: nothing to close
            }
        }
        _disposed.Dispose();
    }

    private sealed class Slot(BrokerEndpoint endpoint)
    {
        public BrokerEndpoint Endpoint { get; } = endpoint;

        public Task<BrokerConnection>? Current { get; set; }

        public int Failures { get; set; }

        public DateTimeOffset NextAttempt { get; set; }
    }
}
