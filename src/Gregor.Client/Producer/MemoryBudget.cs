namespace Gregor.Client.Producer;

/// <summary>
/// buffer.memory: the bytes of records accepted but not yet acknowledged. A producer that gets
/// ahead of the brokers waits here, up to max.block.ms, for acknowledged batches to free room.
/// A record larger than the whole budget can never fit and fails at once.
/// </summary>
internal sealed class MemoryBudget(long capacity)
{
    private readonly object _waitersLock = new();
    private long _used;
    private TaskCompletionSource? _released;

    public long Capacity { get; } = capacity;

    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves if there is room. Lock-free: it runs for every record.</summary>
    public bool TryReserve(long bytes)
    {
        long used = Volatile.Read(ref _used);
        while (true)
        {
            if (used + bytes > Capacity) return false;
            long seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used) return true;
            used = seen;
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
            lock (_waitersLock)
            {
                // Checked again under the lock a release takes after freeing its bytes: either this sees the room,
                // or the release sees this waiter's task.
                if (TryReserve(bytes)) return true;
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
        Interlocked.Add(ref _used, -bytes);
        TaskCompletionSource? waiters;
        lock (_waitersLock)
        {
            waiters = _released;
            _released = null;
        }
        waiters?.TrySetResult();
    }
}
