using System.Diagnostics;

namespace Gregor.Cli.Perf;

/// <summary>Keeps a sender at or below a rate: after n records it should not be ahead of n / rate seconds.</summary>
internal sealed class Throttle
{
    private readonly long _recordsPerSecond;
    private readonly long _startTimestamp;

    /// <param name="recordsPerSecond">-1 for no limit.</param>
    /// <param name="startTimestamp">A <see cref="Stopwatch"/> timestamp.</param>
    public Throttle(long recordsPerSecond, long startTimestamp)
    {
        _recordsPerSecond = recordsPerSecond;
        _startTimestamp = startTimestamp;
    }

    /// <summary>How long to wait after <paramref name="sent"/> records at <paramref name="nowTimestamp"/>; null for no limit.</summary>
    public TimeSpan? DelayFor(long sent, long nowTimestamp)
    {
        if (_recordsPerSecond <= 0) return null;
        double dueSeconds = (double)sent / _recordsPerSecond;
        double elapsedSeconds = (double)(nowTimestamp - _startTimestamp) / Stopwatch.Frequency;
        double ahead = dueSeconds - elapsedSeconds;
        // Sleeping under a millisecond is not possible; let small leads accumulate until worth a sleep.
        return ahead >= 0.001 ? TimeSpan.FromSeconds(ahead) : TimeSpan.Zero;
    }
}
