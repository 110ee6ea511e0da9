using System.IO.Pipelines;

namespace Gregor.Broker.Network;

/// <summary>
/// Ends a connection's pending read when it has waited longer than connections.max.idle.ms, or when
/// the broker asks connections to close. One timer per connection, re-armed per read (no allocation).
/// </summary>
internal sealed class IdleWatch : IDisposable
{
    // System.Threading timers cannot wait longer than about 49 days.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly PipeReader _input;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleLimit;
    private readonly ITimer _timer;
    private long _armedAt;
    private volatile bool _idleExpired;
    private volatile bool _closeRequested;

    public IdleWatch(PipeReader input, TimeProvider time, long idleMs)
    {
        _input = input;
        _time = time;
        _idleLimit = TimeSpan.FromMilliseconds(idleMs) < LongestTimer ? TimeSpan.FromMilliseconds(idleMs) : LongestTimer;
        _timer = time.CreateTimer(_ => Expire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public bool IdleExpired => _idleExpired;

    public bool CloseRequested => _closeRequested;

    /// <summary>
    /// Whether a cancelled read means stop. A timer that fired just as data arrived leaves a cancel
    /// behind for the next read, which then returns at once: that is not idleness, and is forgotten.
    /// </summary>
    public bool ShouldStop()
    {
        if (_closeRequested) return true;
        if (!_idleExpired) return false;
        if (_time.GetElapsedTime(Volatile.Read(ref _armedAt)) >= _idleLimit) return true;
        _idleExpired = false;
        return false;
    }

    public void Arm()
    {
        Volatile.Write(ref _armedAt, _time.GetTimestamp());
        _timer.Change(_idleLimit, Timeout.InfiniteTimeSpan);
    }

    public void Disarm() => _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>The broker is stopping: end the pending read, and no further request is read.</summary>
    public void RequestClose()
    {
        _closeRequested = true;
        _input.CancelPendingRead();
    }

    private void Expire()
    {
        // A timer that fires late, after a read already completed and a new one was armed, must not count.
        if (_time.GetElapsedTime(Volatile.Read(ref _armedAt)) < _idleLimit) return;
        _idleExpired = true;
        _input.CancelPendingRead();
    }

    public void Dispose() => _timer.Dispose();
}
