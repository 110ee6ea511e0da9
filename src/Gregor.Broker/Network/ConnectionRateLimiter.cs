using Gregor.Broker.Configuration;

namespace Gregor.Broker.Network;

/// <summary>
/// <c>max.connection.creation.rate</c> (broker-wide) and <c>listener.name.X.max.connection.creation.rate</c>:
/// new connections per second. As in Kafka, a connection over the rate is not refused but waits (it is
/// served once the rate allows it); a burst of up to one second's worth passes at once. Each limit is a
/// generic cell rate: it keeps the time at which the next connection would be on schedule.
/// </summary>
internal sealed class ConnectionRateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Schedule? _broker;
    private readonly Dictionary<string, Schedule> _listeners = new(StringComparer.Ordinal);

    public ConnectionRateLimiter(BrokerConfig config, TimeProvider time)
    {
        _time = time;
        if (config.MaxConnectionCreationRate != int.MaxValue) _broker = new Schedule(config.MaxConnectionCreationRate);
        foreach ((string listener, var limits) in config.ListenerLimits)
            if (limits.MaxConnectionCreationRate != int.MaxValue) _listeners[listener] = new Schedule(limits.MaxConnectionCreationRate);
    }

    /// <summary>How long a connection accepted now on <paramref name="listener"/> must wait (its place is taken at once).</summary>
    public TimeSpan Delay(string listener)
    {
        if (_broker is null && _listeners.Count == 0) return TimeSpan.Zero;
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            TimeSpan delay = TimeSpan.Zero;
            if (_broker is not null) delay = _broker.Take(now, _time.TimestampFrequency);
            if (_listeners.TryGetValue(listener, out var own))
            {
                TimeSpan listenerDelay = own.Take(now, _time.TimestampFrequency);
                if (listenerDelay > delay) delay = listenerDelay;
            }
            return delay;
        }
    }

    private sealed class Schedule(int perSecond)
    {
        private long _onSchedule; // the theoretical arrival time of the next connection, in timestamp ticks

        public TimeSpan Take(long now, long frequency)
        {
            long interval = Math.Max(frequency / perSecond, 1);
            long burst = frequency; // one second's worth passes without waiting
            long next = Math.Max(_onSchedule, now);
            TimeSpan wait = next - now > burst - interval
                ? TimeSpan.FromSeconds((double)(next - now - (burst - interval)) / frequency)
                : TimeSpan.Zero;
            _onSchedule = next + interval;
            return wait;
        }
    }
}
