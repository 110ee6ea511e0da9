namespace Gregor.Storage.Tests;

public sealed class FlushTests
{
    [Fact]
    public void By_default_appends_are_left_to_the_page_cache_and_flush_moves_the_recovery_point()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), new ManualTimeProvider());
        LogFixture.Fill(log, 5);
        Assert.Equal(0, log.RecoveryPoint);
        log.Flush();
        Assert.Equal(log.LogEndOffset, log.RecoveryPoint);
        Assert.True(LogStateCheckpoint.TryRead(dir.Path, out LogState state, out _));
        Assert.Equal(log.LogEndOffset, state.RecoveryPoint);
    }

    [Fact]
    public void Flush_messages_forces_a_flush_every_n_messages()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small() with { FlushMessages = 4 }, new ManualTimeProvider());
        log.Append(TestBatches.Simple(3, 1));
        Assert.Equal(0, log.RecoveryPoint);
        log.Append(TestBatches.Simple(1, 1));
        Assert.Equal(4, log.RecoveryPoint);
        log.Append(TestBatches.Simple(2, 1));
        Assert.Equal(4, log.RecoveryPoint);
    }

    [Fact]
    public void Flush_ms_forces_a_flush_once_the_interval_passed()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small() with { FlushMs = 1_000 }, time);
        log.Append(TestBatches.Simple(3, 1));
        Assert.Equal(0, log.RecoveryPoint);
        time.AdvanceMs(1_000);
        log.RunMaintenance();
        Assert.Equal(3, log.RecoveryPoint);
        log.Append(TestBatches.Simple(3, 1));
        time.AdvanceMs(1_000);
        log.Append(TestBatches.Simple(3, 1));
        Assert.Equal(9, log.RecoveryPoint);
    }

    [Fact]
    public void Maintenance_flushes_rolled_segments_so_the_recovery_point_follows_them()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600), new ManualTimeProvider());
        LogFixture.Fill(log, 30);
        log.RunMaintenance();
        Assert.Equal(log.ActiveSegment.BaseOffset, log.RecoveryPoint);
    }
}
