namespace Gregor.Broker.Network;

/// <summary>
/// <c>queued.max.request.bytes</c>: the memory request frames may hold at once, broker-wide, from their first
/// body byte until their response is written. A connection that cannot get memory for the next part of its
/// request stops reading its socket and waits; the transport's pipe and then TCP hold the sender back.
/// <para>
/// Fairness, so that clients which send large bodies and never finish them cannot starve the rest:
/// requests larger than <see cref="LargeFrameBytes"/> may together hold at most <see cref="LargeCapacity"/>
/// (three quarters, so ordinary produce requests always find room); waiters are served smallest first; and a
/// request that has waited <see cref="EvictAfter"/> makes the broker close the connection holding the largest
/// request still being received, if that request is larger than the waiting one, logged with the peer: big
/// unfinished requests yield to smaller ones, never the other way, and equals never close each other (so
/// many attackers sending the same large body do not churn each other's buffers). At most one connection is
/// closed per <see cref="EvictAfter"/>. Requests already received and being handled are never closed for
/// memory: they finish and release it. A request that has waited <see cref="MaxWait"/> gives up (its
/// connection closes): a client that sent it has timed it out by then, and a connection whose peer has gone
/// while the broker was not reading it cannot be told from a slow one any other way.
/// </para>
/// </summary>
internal sealed class RequestMemory
{
    /// <summary>Larger requests are "large": not ordinary produce sizes (Kafka's message.max.bytes is about 1 MB).</summary>
    public const int LargeFrameBytes = 2 * 1024 * 1024;

    /// <summary>How long a request waits for memory before the largest unfinished request is closed to make room.</summary>
    public static readonly TimeSpan EvictAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest a request waits for memory: Kafka clients' default request.timeout.ms.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly SortedSet<Waiter> _waiters = new(WaiterOrder.Instance);
    private readonly HashSet<FrameReservation> _receiving = [];
    private long _used;
    private long _largeUsed;
    private long _nextWaiter;
    private long _lastEviction;

    /// <param name="capacity">Bytes request frames may hold; 0 or less for no limit (Kafka's -1).</param>
    /// <param name="largestFrame">The largest frame's capacity, which must always be able to fit.</param>
    public RequestMemory(long capacity, long largestFrame, TimeProvider time)
    {
        Capacity = capacity > 0 ? capacity : long.MaxValue;
        LargeCapacity = capacity > 0 ? Math.Min(Capacity, Math.Max(Capacity / 4 * 3, largestFrame)) : long.MaxValue;
        _time = time;
    }

    public long Capacity { get; }

    /// <summary>What large requests may hold together: three quarters, or more when one largest request needs it.</summary>
    public long LargeCapacity { get; }

    public long Used
    {
        get { lock (_gate) return _used; }
    }

    public int Waiting
    {
        get { lock (_gate) return _waiters.Count; }
    }

    /// <summary>The request of <paramref name="reservation"/> started arriving: it may be closed for memory until <see cref="EndReceiving"/>.</summary>
    public void BeginReceiving(FrameReservation reservation)
    {
        lock (_gate) _receiving.Add(reservation);
    }

    /// <summary>The request has fully arrived; its memory stays reserved until <see cref="Release"/>.</summary>
    public void EndReceiving(FrameReservation reservation)
    {
        lock (_gate) _receiving.Remove(reservation);
    }

    /// <summary>
    /// Adds <paramref name="bytes"/> to the reservation, waiting while they do not fit. Throws
    /// <see cref="OperationCanceledException"/> when <paramref name="stop"/> fires (the connection is closing,
    /// idle, or was closed to make room); what the reservation already holds stays held until <see cref="Release"/>.
    /// </summary>
    public ValueTask GrowAsync(FrameReservation reservation, long bytes, CancellationToken stop)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (Fits(bytes, reservation.IsLarge))
            {
                Commit(reservation, bytes);
                return ValueTask.CompletedTask;
            }
            waiter = new Waiter(reservation, bytes, _nextWaiter++);
            _waiters.Add(waiter);
        }
        return new ValueTask(WaitAsync(waiter, stop));
    }

    /// <summary>Gives back some of what the reservation holds (a growth that could not be used).</summary>
    public void Shrink(FrameReservation reservation, long bytes)
    {
        List<Waiter>? granted;
        lock (_gate)
        {
            bytes = Math.Min(bytes, reservation.Reserved);
            Uncommit(reservation, bytes);
            granted = GrantWaiters();
        }
        Complete(granted);
    }

    /// <summary>Gives back everything the reservation holds (its request was answered, or its connection ended).</summary>
    public void Release(FrameReservation reservation)
    {
        List<Waiter>? granted;
        lock (_gate)
        {
            _receiving.Remove(reservation);
            Uncommit(reservation, reservation.Reserved);
            granted = GrantWaiters();
        }
        Complete(granted);
    }

    private async Task WaitAsync(Waiter waiter, CancellationToken stop)
    {
        long since = _time.GetTimestamp();
        try
        {
            while (true)
            {
                try
                {
                    await waiter.Granted.Task.WaitAsync(EvictAfter, _time, stop).ConfigureAwait(false);
                    return;
                }
                catch (TimeoutException) when (_time.GetElapsedTime(since) < MaxWait)
                {
                    EvictLargerUnfinished(waiter.Reservation);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            lock (_gate)
            {
                // Granted at the same moment: the bytes are in the reservation and go back with it.
                _waiters.Remove(waiter);
            }
            if (e is TimeoutException) throw new RequestMemoryTimeoutException(waiter.Bytes, Capacity, MaxWait);
            throw;
        }
    }

    /// <summary>
    /// Closes the connection whose request, still arriving, holds the most memory (the oldest of equals), when
    /// that request is larger than the waiting one's and no other was closed in the last <see cref="EvictAfter"/>.
    /// </summary>
    private void EvictLargerUnfinished(FrameReservation waiting)
    {
        FrameReservation? victim = null;
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            if (_lastEviction != 0 && _time.GetElapsedTime(_lastEviction, now) < EvictAfter) return;
            foreach (var candidate in _receiving)
            {
                if (candidate.Evicted || candidate.Reserved == 0 || candidate.FrameSize <= waiting.FrameSize) continue;
                if (victim is null || candidate.Reserved > victim.Reserved
                    || (candidate.Reserved == victim.Reserved && candidate.StartedAt < victim.StartedAt))
                    victim = candidate;
            }
            if (victim is null) return; // nothing larger is arriving: the rest is held by requests being handled, or by equals
            victim.Evicted = true;
            _receiving.Remove(victim);
            _lastEviction = now;
        }
        victim.Evict();
    }

    private bool Fits(long bytes, bool large) =>
        _used + bytes <= Capacity && (!large || _largeUsed + bytes <= LargeCapacity);

    private void Commit(FrameReservation reservation, long bytes)
    {
        _used += bytes;
        if (reservation.IsLarge) _largeUsed += bytes;
        reservation.Reserved += bytes;
    }

    private void Uncommit(FrameReservation reservation, long bytes)
    {
        _used -= bytes;
        if (reservation.IsLarge) _largeUsed -= bytes;
        reservation.Reserved -= bytes;
    }

    /// <summary>Under the lock: every waiter that now fits, smallest first.</summary>
    private List<Waiter>? GrantWaiters()
    {
        List<Waiter>? granted = null;
        foreach (var waiter in _waiters)
        {
            if (_used >= Capacity) break;
            if (!Fits(waiter.Bytes, waiter.Reservation.IsLarge)) continue;
            Commit(waiter.Reservation, waiter.Bytes);
            (granted ??= []).Add(waiter);
        }
        if (granted is not null)
            foreach (var waiter in granted) _waiters.Remove(waiter);
        return granted;
    }

    private static void Complete(List<Waiter>? granted)
    {
        if (granted is null) return;
        foreach (var waiter in granted) waiter.Granted.TrySetResult();
    }

    private sealed class Waiter(FrameReservation reservation, long bytes, long sequence)
    {
        public FrameReservation Reservation { get; } = reservation;

        public long Bytes { get; } = bytes;

        public long Sequence { get; } = sequence;

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class WaiterOrder : IComparer<Waiter>
    {
        public static readonly WaiterOrder Instance = new();

        public int Compare(Waiter? x, Waiter? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null) return -1;
            if (y is null) return 1;
            int bySize = x.Bytes.CompareTo(y.Bytes);
            return bySize != 0 ? bySize : x.Sequence.CompareTo(y.Sequence);
        }
    }
}

/// <summary>A request waited <see cref="RequestMemory.MaxWait"/> for memory: its connection closes.</summary>
internal sealed class RequestMemoryTimeoutException(long bytes, long capacity, TimeSpan waited)
    : Exception($"its request waited {(long)waited.TotalSeconds} s for {bytes} bytes of request memory (queued.max.request.bytes={capacity})");
