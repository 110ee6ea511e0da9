namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// The simulation's virtual clock: the controller's sessions, the partitions' follower state and the logs all read it,
/// and only the event loop moves it. No timers: nothing in the simulated code may wait on one (an acks=all wait is
/// polled with a zero timeout instead).
/// </summary>
internal sealed class SimClock : TimeProvider
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    public long NowMs { get; set; }

    public long UnixMs => Start.ToUnixTimeMilliseconds() + NowMs;

    public override DateTimeOffset GetUtcNow() => Start.AddMilliseconds(NowMs);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        throw new InvalidOperationException("The replication simulation has no timers: its event loop drives every step.");
}
