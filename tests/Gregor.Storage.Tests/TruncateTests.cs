namespace Gregor.Storage.Tests;

public sealed class TruncateTests
{
    [Fact]
    public void Truncate_to_a_batch_boundary_in_an_earlier_segment_removes_everything_after_and_appends_continue()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 800, indexInterval: 100), time);
        List<byte[]> batches = LogFixture.Fill(log, 60);
        log.UpdateHighWatermark(log.LogEndOffset);
        int keep = 23;
        long target = TestBatches.Headers(batches[keep])[0].BaseOffset;

        Assert.True(log.Truncate(target));

        Assert.Equal(target, log.LogEndOffset);
        Assert.Equal(target, log.HighWatermark);
        Assert.True(log.RecoveryPoint <= target);
        Assert.Equal(batches.Take(keep), LogFixture.ReadAll(log));
        Assert.DoesNotContain(log.Segments, s => s.BaseOffset > target);
        Assert.Equal(target, log.Append(TestBatches.Simple(3, 1)).FirstOffset);
        Assert.Equal(target + 3, log.LogEndOffset);

        // The truncated segment, active again, keeps indexing and survives a restart.
        LogFixture.Fill(log, 10, seed: 9);
        List<byte[]> expected = LogFixture.ReadAll(log);
        log.Close();
        using var reopened = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 800, indexInterval: 100), time);
        Assert.Equal(expected, LogFixture.ReadAll(reopened));
    }

    [Fact]
    public void Truncate_inside_a_batch_removes_that_whole_batch()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), new ManualTimeProvider());
        log.Append(TestBatches.Simple(5, 1));
        log.Append(TestBatches.Simple(5, 1));
        log.Truncate(7);
        Assert.Equal(5, log.LogEndOffset);
        Assert.False(log.Truncate(5));
    }

    [Fact]
    public void Truncate_below_the_first_segment_or_fully_starts_an_empty_log_at_the_offset()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600), time);
        LogFixture.Fill(log, 30);
        log.TruncateFullyAndStartAt(1000);
        Assert.Equal((1000, 1000, 1000), (log.LogStartOffset, log.LogEndOffset, log.HighWatermark));
        Assert.Single(log.Segments);
        Assert.Equal(new[] { "00000000000000001000.index", "00000000000000001000.log", "00000000000000001000.timeindex", LeaderEpochCheckpoint.FileName, LogFileNames.StateCheckpoint },
            dir.FileNames());
        Assert.Equal(1000, log.Append(TestBatches.Simple(1, 1)).FirstOffset);
        log.Truncate(0);
        Assert.Equal((0, 0), (log.LogStartOffset, log.LogEndOffset));
    }
}
