namespace Gregor.Broker.Replication;

/// <summary>
/// One waiting request (a long-polling fetch, an acks=-1 produce) registered with one or more partitions:
/// it completes when any of them reaches the offset it was registered for, or the partition goes away.
/// The request awaits <see cref="Task"/>; no thread is held while it waits.
/// </summary>
public sealed class HighWatermarkWaiter
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _completion.Task;

    public bool IsCompleted => _completion.Task.IsCompleted;

    internal void Wake() => _completion.TrySetResult();
}

/// <summary>The waiters of one partition, each with the high watermark it waits for.</summary>
internal sealed class HighWatermarkWaiters
{
    private readonly List<(long Threshold, HighWatermarkWaiter Waiter)> _waiting = [];
    private int _count;

    /// <summary>Registers <paramref name="waiter"/> to wake once the high watermark is at least <paramref name="threshold"/>.</summary>
    public void Add(HighWatermarkWaiter waiter, long threshold, long currentHighWatermark)
    {
        lock (_waiting)
        {
            _waiting.Add((threshold, waiter));
            Volatile.Write(ref _count, _waiting.Count);
        }
        // The watermark may have moved between the caller's read and the registration.
        if (currentHighWatermark >= threshold)
            waiter.Wake();
    }

    public void Remove(HighWatermarkWaiter waiter)
    {
        lock (_waiting)
        {
            _waiting.RemoveAll(entry => ReferenceEquals(entry.Waiter, waiter));
            Volatile.Write(ref _count, _waiting.Count);
        }
    }

    /// <summary>Wakes the waiters the new high watermark satisfies. Nothing is locked when nobody waits.</summary>
    public void OnHighWatermark(long highWatermark)
    {
        if (Volatile.Read(ref _count) == 0)
            return;
        lock (_waiting)
        {
            for (int index = _waiting.Count - 1; index >= 0; index--)
            {
                if (_waiting[index].Threshold > highWatermark)
                    continue;
                _waiting[index].Waiter.Wake();
                _waiting.RemoveAt(index);
            }
            Volatile.Write(ref _count, _waiting.Count);
        }
    }

    /// <summary>Wakes everyone (the partition is going away; they re-check and find it gone).</summary>
    public void WakeAll()
    {
        lock (_waiting)
        {
            foreach (var entry in _waiting)
                entry.Waiter.Wake();
            _waiting.Clear();
            Volatile.Write(ref _count, 0);
        }
    }
}
