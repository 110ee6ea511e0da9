namespace Gregor.Metadata.Tests;

/// <summary>The metadata log's Raft clock (milliseconds since it was opened) read as Unix epoch milliseconds, as DescribeQuorum reports times.</summary>
public sealed class MetadataLogClockTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gregor-mlclock-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_raft_time_is_the_wall_clock_at_the_open_plus_its_milliseconds()
    {
        var clock = new HandClock(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        using var log = MetadataLog.Open(_dir, 1, new Random(1), clock);
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1_700_000_000_000, log.RaftTimeToUnixMs(0));
        Assert.Equal(1_700_000_002_000, log.RaftTimeToUnixMs(2_000));
        Assert.Equal(1_700_000_005_000, log.RaftTimeToUnixMs(5_000));
        Assert.Equal(-1, log.RaftTimeToUnixMs(-1)); // unknown stays unknown
    }

    /// <summary>Wall clock and timestamps that move only when told.</summary>
    private sealed class HandClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now.UtcTicks;

        public void Advance(TimeSpan by) => _now += by;
    }
}
