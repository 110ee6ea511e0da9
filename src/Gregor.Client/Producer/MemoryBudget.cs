namespace Gregor.Client.Producer;

/// <summary>
/// buffer.memory: the bytes of records accepted but not yet acknowledged. A producer that gets
/// ahead of the brokers waits here, up to max.block.ms, for acknowledged batches to free room.
/// A record larger than the whole budget can never fit and fails at once.
/// </summary>
internal sealed class MemoryBudget(long capacity)
{
    private readonly object _lock = new();
    private long _used;
    private TaskCompletionSource? _released;

    public long Capacity { get; } = capacity;

    public long Used => Interlocked.Read(ref _used);

    public bool TryReserve(long bytes)
    {
        lock (_lock)
        {
            if (_used + bytes > Capacity) return false;
            _used += bytes;
            return true;
        }
    }

    /// <summary>Reserves, waiting for room until <paramref name="timeout"/>; false if none came.</summary>
    public async ValueTask<bool> ReserveAsync(long bytes, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (TryReserve(bytes)) return true;
        long deadline = clock.GetTimestamp() + (long)(timeout.TotalSeconds * clock.TimestampFrequency);
        while (true)
        {
            Task released;
            lock (_lock)
            {
                if (_used + bytes <= Capacity)
                {
                    _used += bytes;
                    return true;
                }
                released = (_released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            var left = clock.GetElapsedTime(clock.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero) return false;
            try { await released.WaitAsync(left, clock, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException) { return TryReserve(bytes); }
        }
    }

    public void Release(long bytes)
    {
        TaskCompletionSource? waiters;
        lock (_lock)
        {
            _used -= bytes;
            waiters = _released;
            _released = null;
        }
        waiters?.TrySetResult();
    }
}
