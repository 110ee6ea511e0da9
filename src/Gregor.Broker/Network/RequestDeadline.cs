namespace Gregor.Broker.Network;

/// <summary>
/// <c>connections.max.idle.ms</c> as a deadline for the next request: armed when the connection starts waiting
/// for a request, disarmed only when a whole request has arrived, so bytes that never complete one (a byte a
/// second, a size prefix and then nothing) do not keep a connection open. One timer per connection, re-armed
/// per request (no allocation).
/// <para>
/// Timers may fire a little early: System.Threading timers count coarse milliseconds while the deadline is
/// measured on the precise clock. An early firing re-arms for what is left. Ignoring it, as the broker did
/// before, left connections open for ever: of 10 connections served once and then silent, 3 were never
/// closed (and 0 of 10 in the run the issue measured, after 760 s with the default 600 s).
/// </para>
/// </summary>
internal sealed class RequestDeadline : IDisposable
{
    // System.Threading timers cannot wait longer than about 49 days.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private const long NotWaiting = 0;
    private const long Fired = -1;

    private readonly TimeProvider _time;
    private readonly TimeSpan _limit;
    private readonly ITimer? _timer;
    private readonly Action _expired;
    // When the wait began (a TimeProvider timestamp), NotWaiting, or Fired.
    private long _waitingSince;

    /// <param name="idleMs">The limit; negative for none (Kafka's -1).</param>
    /// <param name="expired">Called once, on a timer thread, when a request did not arrive in time.</param>
    public RequestDeadline(TimeProvider time, long idleMs, Action expired)
    {
        _time = time;
        _expired = expired;
        if (idleMs < 0) return;
        _limit = TimeSpan.FromMilliseconds(idleMs) < LongestTimer ? TimeSpan.FromMilliseconds(idleMs) : LongestTimer;
        _timer = time.CreateTimer(static d => ((RequestDeadline)d!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public bool HasExpired => Volatile.Read(ref _waitingSince) == Fired;

    /// <summary>The connection now waits for its next request.</summary>
    public void Start()
    {
        if (_timer is null) return;
        long now = Math.Max(_time.GetTimestamp(), 1); // 0 means not waiting
        if (Interlocked.CompareExchange(ref _waitingSince, now, NotWaiting) != NotWaiting) return; // already fired
        _timer.Change(_limit, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A whole request arrived. False when it came after the deadline had fired (the connection is closing).</summary>
    public bool Stop()
    {
        if (_timer is null) return true;
        long since = Volatile.Read(ref _waitingSince);
        if (since == Fired || Interlocked.CompareExchange(ref _waitingSince, NotWaiting, since) != since) return false;
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return true;
    }

    private void OnTimer()
    {
        long since = Volatile.Read(ref _waitingSince);
        if (since is NotWaiting or Fired) return; // a late tick after the request arrived
        TimeSpan left = _limit - _time.GetElapsedTime(since);
        if (left > TimeSpan.Zero)
        {
            _timer!.Change(left, Timeout.InfiniteTimeSpan);
            // Stop may have run between the read and the Change: then the re-armed tick finds NotWaiting and does nothing.
            return;
        }
        if (Interlocked.CompareExchange(ref _waitingSince, Fired, since) == since) _expired();
    }

    public void Dispose() => _timer?.Dispose();
}
