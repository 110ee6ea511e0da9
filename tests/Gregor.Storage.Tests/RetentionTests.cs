namespace Gregor.Storage.Tests;

public sealed class RetentionTests
{
    [Fact]
    public void Retention_ms_deletes_whole_old_segments_by_their_largest_timestamp_and_the_active_one_by_rolling_first()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        long now = time.NowMs;
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600) with { RetentionMs = 60_000 }, time);
        // Old records, then recent ones.
        for (int i = 0; i < 20; i++)
            log.Append(TestBatches.Simple(2, now - 3_600_000 + i));
        log.Roll();
        for (int i = 0; i < 5; i++)
            log.Append(TestBatches.Simple(2, now - 1_000 + i));
        log.UpdateHighWatermark(log.LogEndOffset);
        int before = log.Segments.Count;
        long firstRecent = log.Segments.First(s => s.MaxTimestampSoFar >= now - 1_000).BaseOffset;

        int deleted = log.ApplyRetention();

        Assert.True(deleted > 0);
        Assert.Equal(before - deleted, log.Segments.Count);
        Assert.Equal(firstRecent, log.LogStartOffset);
        Assert.Equal(firstRecent, log.Segments[0].BaseOffset);
        Assert.All(log.Segments, s => Assert.True(now - s.LargestTimestamp <= 60_000));

        // Everything expires later, the active segment too: the log rolls, and the new empty segment starts at the end.
        long end = log.LogEndOffset;
        time.AdvanceMs(3_600_000);
        log.ApplyRetention();
        var active = Assert.Single(log.Segments);
        Assert.Equal(0, active.Size);
        Assert.Equal(end, active.BaseOffset);
        Assert.Equal(end, log.LogStartOffset);
        Assert.Equal(end, log.LogEndOffset);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(end - 1, 100));

        // An empty active segment is never deleted, and appends go on at the end.
        Assert.Equal(0, log.ApplyRetention());
        log.Append(TestBatches.Simple(2, time.NowMs));
        Assert.Equal(end + 2, log.LogEndOffset);
    }

    [Fact]
    public void The_active_segment_stays_while_it_holds_data_above_the_high_watermark()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20) with { RetentionMs = 1 }, time);
        for (int i = 0; i < 5; i++)
            log.Append(TestBatches.Simple(2, 1));
        log.UpdateHighWatermark(log.LogEndOffset - 1);
        time.AdvanceMs(10_000);
        Assert.Equal(0, log.ApplyRetention());
        Assert.Equal(0, log.LogStartOffset);

        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Equal(1, log.ApplyRetention());
        Assert.Equal(log.LogEndOffset, log.LogStartOffset);
    }

    [Fact]
    public void Retention_never_deletes_a_segment_holding_data_at_or_above_the_high_watermark()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600) with { RetentionMs = 1 }, time);
        for (int i = 0; i < 30; i++)
            log.Append(TestBatches.Simple(2, 1));
        log.UpdateHighWatermark(log.Segments[3].BaseOffset);
        Assert.Equal(3, log.ApplyRetention());
        Assert.Equal(log.HighWatermark, log.LogStartOffset);
    }

    [Fact]
    public void Retention_bytes_keeps_the_log_within_the_limit_by_whole_segments()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1000) with { RetentionBytes = 3000 }, time);
        LogFixture.Fill(log, 100);
        log.UpdateHighWatermark(log.LogEndOffset);
        long sizeBefore = log.Size;

        log.ApplyRetention();

        // Kafka's rule: a segment goes only if the log is still at least retention.bytes without it, so the
        // log ends within one segment above the limit.
        Assert.True(sizeBefore > log.Size);
        Assert.True(log.Size >= 3000, $"size {log.Size}");
        Assert.True(log.Size - log.Segments[0].Size < 3000, $"size {log.Size}, first segment {log.Segments[0].Size}");
    }

    [Fact]
    public void Delete_goes_through_dot_deleted_files_removed_after_file_delete_delay_ms()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600) with { RetentionMs = 1000, FileDeleteDelayMs = 30_000 }, time);
        for (int i = 0; i < 20; i++)
            log.Append(TestBatches.Simple(2, time.NowMs));
        log.UpdateHighWatermark(log.LogEndOffset);
        long oldestBase = log.Segments[0].BaseOffset;
        time.AdvanceMs(5_000);

        int deleted = log.ApplyRetention();
        Assert.True(deleted > 0);
        Assert.True(File.Exists(LogFileNames.LogFile(dir.Path, oldestBase, LogFileNames.DeletedSuffix)));
        Assert.True(File.Exists(LogFileNames.OffsetIndexFile(dir.Path, oldestBase, LogFileNames.DeletedSuffix)));
        Assert.False(File.Exists(LogFileNames.LogFile(dir.Path, oldestBase)));
        Assert.Equal(deleted, log.PendingDeletions);

        time.AdvanceMs(29_999);
        Assert.Equal(0, log.DeleteExpiredFiles());
        time.AdvanceMs(1);
        log.RunMaintenance();
        Assert.Equal(0, log.PendingDeletions);
        Assert.DoesNotContain(dir.FileNames(), name => name.EndsWith(LogFileNames.DeletedSuffix, StringComparison.Ordinal));
    }

    [Fact]
    public void Increasing_the_log_start_offset_hides_older_records_and_drops_whole_segments_below_it()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600), new ManualTimeProvider());
        for (int i = 0; i < 30; i++)
            log.Append(TestBatches.Simple(2, 1));
        Assert.Throws<OffsetOutOfRangeException>(() => log.IncreaseLogStartOffset(10));
        log.UpdateHighWatermark(40);
        long target = log.Segments[2].BaseOffset + 1;

        log.IncreaseLogStartOffset(target);

        Assert.Equal(target, log.LogStartOffset);
        Assert.Equal(target - 1, log.Segments[0].BaseOffset);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(target - 1, 100));
        using LogReadResult read = log.Read(target, 100);
        Assert.Equal(target - 1, read.FirstOffset);
        Assert.Equal(target, read.LogStartOffset);
    }

    [Fact]
    public void Deleting_a_segment_under_a_concurrent_read_does_not_break_the_read()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600) with { RetentionMs = 1 }, time);
        for (int i = 0; i < 30; i++)
            log.Append(TestBatches.Simple(2, 1));
        log.UpdateHighWatermark(log.LogEndOffset);
        LogSegment doomed = log.Segments[0];
        log.ApplyRetention();
        // A reader holding the old snapshot gets the bytes or an ObjectDisposedException the log retries on;
        // through the log, reads of deleted offsets are out of range.
        Assert.True(doomed.IsClosed);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(0, 100));
    }
}
