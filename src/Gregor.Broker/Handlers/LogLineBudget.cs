namespace Gregor.Broker.Handlers;

/// <summary>
/// At most <c>linesPerSecond</c> log lines a second for one kind of event a client can provoke at will; the lines
/// over budget are counted and the count is reported with the next line allowed. Thread-safe.
/// </summary>
internal sealed class LogLineBudget(int linesPerSecond)
{
    private readonly Lock _lock = new();
    private long _windowStartMs = -1;
    private int _linesInWindow;
    private int _suppressed;

    public bool TryTake(long nowMs, out int suppressedBefore)
    {
        lock (_lock)
        {
            if (_windowStartMs < 0 || nowMs - _windowStartMs >= 1000 || nowMs < _windowStartMs)
            {
                _windowStartMs = nowMs;
                _linesInWindow = 0;
            }
            if (_linesInWindow >= linesPerSecond)
            {
                _suppressed++;
                suppressedBefore = 0;
                return false;
            }
            _linesInWindow++;
            suppressedBefore = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
