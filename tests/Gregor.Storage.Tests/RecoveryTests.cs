using Gregor.Protocol.Records;

namespace Gregor.Storage.Tests;

public sealed class RecoveryTests
{
    private static LogConfig Config => LogTestConfig.Small(segmentBytes: 2048, indexInterval: 128);

    /// <summary>
    /// Builds a log of several segments, flushes part of it, appends more and "crashes" (handles dropped with no
    /// clean shutdown): the active segment's index is left preallocated and the recovery point is behind.
    /// </summary>
    private static (List<byte[]> Batches, string ActiveLog, long ActiveBase) CrashedLog(string path, ManualTimeProvider time)
    {
        var log = PartitionLog.Open(path, Config, time);
        List<byte[]> batches = LogFixture.Fill(log, 40);
        log.Flush();
        batches.AddRange(LogFixture.Fill(log, 12, firstTimestamp: 5_000, seed: 2));
        Assert.True(log.Segments.Count >= 3);
        LogSegment active = log.ActiveSegment;
        Assert.True(TestBatches.Headers(File.ReadAllBytes(active.LogPath)).Count >= 6, "the active segment needs several batches to cut");
        string activeLog = active.LogPath;
        long activeBase = active.BaseOffset;
        log.Abandon();
        return (batches, activeLog, activeBase);
    }

    [Fact]
    public void Cutting_the_active_segment_at_every_byte_of_its_last_batches_keeps_exactly_the_whole_batches_before_the_cut()
    {
        using var dir = new TempLogDirectory();
        using var golden = new TempLogDirectory("golden", 0);
        var time = new ManualTimeProvider();
        (List<byte[]> batches, string activeLog, _) = CrashedLog(golden.Path, time);
        byte[] activeBytes = File.ReadAllBytes(activeLog);
        List<BatchInfo> activeBatches = TestBatches.Headers(activeBytes);
        int firstCut = activeBatches[^4].Position;
        string activeName = Path.GetFileName(activeLog);

        for (int cut = firstCut; cut <= activeBytes.Length; cut++)
        {
            LogFixture.ReplaceDirectory(golden.Path, dir.Path);
            using (var file = new FileStream(dir.File(activeName), FileMode.Open))
                file.SetLength(cut);

            using var log = PartitionLog.Open(dir.Path, Config, time);
            int whole = activeBatches.Count(b => b.Position + b.Size <= cut);
            int kept = batches.Count - (activeBatches.Count - whole);
            long expectedEnd = kept == 0 ? 0 : TestBatches.Headers(batches[kept - 1])[0].NextOffset;

            Assert.False(log.Recovery.HadCleanShutdown);
            Assert.Equal(expectedEnd, log.LogEndOffset);
            Assert.Equal(cut - (whole == 0 ? 0 : activeBatches[whole - 1].Position + activeBatches[whole - 1].Size), (int)log.Recovery.BytesTruncated);
            List<byte[]> read = LogFixture.ReadAll(log);
            Assert.Equal(kept, read.Count);
            for (int i = 0; i < kept; i++)
                Assert.Equal(batches[i], read[i]);

            // The log takes appends right after the last whole batch.
            LogAppendResult appended = log.Append(TestBatches.Simple(2, 9_000));
            Assert.Equal(expectedEnd, appended.FirstOffset);
        }
    }

    [Fact]
    public void A_corrupt_byte_inside_the_last_batch_truncates_the_log_at_that_batch()
    {
        using var dir = new TempLogDirectory();
        using var golden = new TempLogDirectory("golden", 0);
        var time = new ManualTimeProvider();
        (List<byte[]> batches, string activeLog, _) = CrashedLog(golden.Path, time);
        byte[] activeBytes = File.ReadAllBytes(activeLog);
        BatchInfo last = TestBatches.Headers(activeBytes)[^1];
        string activeName = Path.GetFileName(activeLog);

        // Every byte the CRC covers, the magic, the CRC itself and the length. (Base offset and leader epoch are
        // outside the CRC by design, as in Kafka.)
        var positions = Enumerable.Range(RecordBatchHeader.BatchLengthOffset, 4)
            .Concat(Enumerable.Range(RecordBatchHeader.MagicOffset, last.Size - RecordBatchHeader.MagicOffset));
        foreach (int relative in positions)
        {
            LogFixture.ReplaceDirectory(golden.Path, dir.Path);
            byte[] damaged = (byte[])activeBytes.Clone();
            damaged[last.Position + relative] ^= 0x5a;
            File.WriteAllBytes(dir.File(activeName), damaged);

            using var log = PartitionLog.Open(dir.Path, Config, time);
            Assert.Equal(last.BaseOffset, log.LogEndOffset);
            Assert.Equal(last.Position, log.ActiveSegment.Size);
            Assert.Equal(batches.Count - 1, LogFixture.ReadAll(log).Count);
            // The report says why: the validator's finding (a CRC mismatch for a byte under the CRC).
            string cut = Assert.Single(log.Recovery.Problems, problem => problem.Contains("cut", StringComparison.Ordinal));
            if (relative >= RecordBatchHeader.CrcCoveredStart)
                Assert.Contains("CrcMismatch", cut);
        }
    }

    [Fact]
    public void Unclean_restart_recovers_from_the_recovery_point_and_clean_restart_recovers_nothing()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        LogFixture.Fill(log, 60);
        log.Flush();
        long recoveryPoint = log.RecoveryPoint;
        Assert.Equal(log.LogEndOffset, recoveryPoint);
        int segmentsAtFlush = log.Segments.Count;
        LogFixture.Fill(log, 20, seed: 3);
        int segmentsNow = log.Segments.Count;
        log.Abandon();

        log = PartitionLog.Open(dir.Path, Config, time);
        // Only the segment holding the recovery point and those after it are rescanned.
        Assert.False(log.Recovery.HadCleanShutdown);
        Assert.Equal(segmentsNow - segmentsAtFlush + 1, log.Recovery.SegmentsRecovered);
        Assert.True(log.Recovery.SegmentsRecovered < log.Segments.Count);
        Assert.Equal(0, log.Recovery.BytesTruncated);
        long end = log.LogEndOffset;
        log.Close();

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.True(reopened.Recovery.HadCleanShutdown);
        Assert.Equal(0, reopened.Recovery.SegmentsRecovered);
        Assert.Equal(0, reopened.Recovery.IndexesRebuilt);
        Assert.Equal(end, reopened.LogEndOffset);
        // Opening wrote nothing: the marker stays until the first change, which removes it before it writes.
        Assert.True(File.Exists(dir.File(LogFileNames.CleanShutdownMarker)), "an unchanged log keeps its marker");
        reopened.Append(TestBatches.Simple(1, 5_000));
        Assert.False(File.Exists(dir.File(LogFileNames.CleanShutdownMarker)), "the marker must be gone once the log changes");
        Assert.Equal(end + 1, reopened.LogEndOffset);
    }

    [Fact]
    public void A_clean_open_reads_and_writes_nothing_and_a_crash_after_the_first_change_recovers()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        List<byte[]> batches = LogFixture.Fill(log, 40);
        log.Close();
        string checkpoint = LogStateCheckpoint.PathIn(dir.Path);
        DateTime written = File.GetLastWriteTimeUtc(checkpoint);
        File.SetLastWriteTimeUtc(checkpoint, written.AddDays(-1));

        log = PartitionLog.Open(dir.Path, Config, time);
        Assert.True(log.Recovery.HadCleanShutdown);
        // No index mapped (the log end offset came from the checkpoint) and the checkpoint not rewritten.
        Assert.All(log.Segments, segment => Assert.False(segment.OffsetIndex.IsMapped || segment.TimeIndex.IsMapped));
        log.Close();
        Assert.Equal(written.AddDays(-1), File.GetLastWriteTimeUtc(checkpoint));

        log = PartitionLog.Open(dir.Path, Config, time);
        byte[] added = TestBatches.Simple(3, 9_000);
        log.Append(added);
        long end = log.LogEndOffset;
        log.Abandon();

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.False(reopened.Recovery.HadCleanShutdown);
        Assert.True(reopened.Recovery.SegmentsRecovered >= 1);
        Assert.Equal(end, reopened.LogEndOffset);
        Assert.Equal(batches.Append(added).ToList(), LogFixture.ReadAll(reopened));
    }

    [Theory]
    [InlineData(".index", "missing", false)]
    [InlineData(".timeindex", "missing", false)]
    [InlineData(".index", "torn", false)]
    [InlineData(".index", "zeroed-tail", false)]
    [InlineData(".timeindex", "garbage", false)]
    [InlineData(".index", "missing", true)]
    [InlineData(".timeindex", "missing", true)]
    public void A_missing_or_corrupt_index_is_rebuilt_identically(string extension, string damage, bool cleanStop)
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        List<byte[]> batches = LogFixture.Fill(log, 60);
        LogSegment victim = log.Segments[1];
        string indexPath = extension == ".index" ? victim.OffsetIndex.FilePath : victim.TimeIndex.FilePath;
        log.Flush();
        byte[] original = File.ReadAllBytes(indexPath);
        Assert.True(original.Length > 24, "the victim index needs a few entries");
        if (cleanStop)
            log.Close();
        else
            log.Abandon();
        Damage(indexPath, original, damage);

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.Equal(1, reopened.Recovery.IndexesRebuilt);
        Assert.Equal(original, File.ReadAllBytes(indexPath));
        Assert.Equal(batches, LogFixture.ReadAll(reopened));
    }

    [Theory]
    [InlineData(".index", "torn")]
    [InlineData(".index", "zeroed-tail")]
    [InlineData(".timeindex", "garbage")]
    public void A_corrupt_index_of_a_cleanly_closed_log_is_found_when_first_used_and_reads_stay_right(string extension, string damage)
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        List<byte[]> batches = LogFixture.Fill(log, 60);
        LogSegment victim = log.Segments[1];
        string indexPath = extension == ".index" ? victim.OffsetIndex.FilePath : victim.TimeIndex.FilePath;
        log.Close();
        Damage(indexPath, File.ReadAllBytes(indexPath), damage);

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.Equal(0, reopened.Recovery.IndexesRebuilt);
        // Found on first use: its entries are dropped and lookups scan the segment instead.
        Assert.Equal(batches, LogFixture.ReadAll(reopened));
        _ = reopened.Segments[1].TimeIndex.LastEntry;
        IndexFile index = extension == ".index" ? reopened.Segments[1].OffsetIndex : reopened.Segments[1].TimeIndex;
        Assert.NotNull(index.Problem);
        Assert.Equal(0, index.Entries);
        Assert.Equal(batches, LogFixture.ReadAll(reopened));
    }

    [Fact]
    public void A_torn_active_index_of_a_cleanly_closed_log_is_found_at_the_first_append_and_the_log_takes_appends()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        List<byte[]> batches = LogFixture.Fill(log, 60);
        string indexPath = log.ActiveSegment.OffsetIndex.FilePath;
        log.Close();
        byte[] original = File.ReadAllBytes(indexPath);
        Assert.True(original.Length >= 16, "the active index needs entries");
        Damage(indexPath, original, "torn");

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        // Appends map the active index (growing it to its capacity), which is when its check runs.
        List<byte[]> more = LogFixture.Fill(reopened, 20, firstTimestamp: 90_000, seed: 7);
        Assert.NotNull(reopened.Segments.First(s => s.OffsetIndex.FilePath == indexPath).OffsetIndex.Problem);
        Assert.Equal(batches.Concat(more).ToList(), LogFixture.ReadAll(reopened));
    }

    private static void Damage(string indexPath, byte[] original, string damage)
    {
        switch (damage)
        {
            case "missing": File.Delete(indexPath); break;
            case "torn": File.WriteAllBytes(indexPath, original[..^3]); break;
            case "zeroed-tail": File.WriteAllBytes(indexPath, [.. original, .. new byte[64]]); break;
            case "garbage":
                // A last entry whose timestamp goes backwards.
                File.WriteAllBytes(indexPath, [.. original[..^12], .. new byte[] { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 }]);
                break;
        }
    }

    [Fact]
    public void Leftover_cleaned_and_deleted_files_are_removed_and_a_committed_swap_is_completed()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        List<byte[]> batches = LogFixture.Fill(log, 40);
        LogSegment first = log.Segments[0], second = log.Segments[1];
        long firstBase = first.BaseOffset, secondBase = second.BaseOffset;
        byte[] merged = [.. File.ReadAllBytes(first.LogPath), .. File.ReadAllBytes(second.LogPath)];
        log.Close();

        // A cleaner that died after committing a segment replacing the first two (here it kept every batch).
        File.WriteAllBytes(LogFileNames.LogFile(dir.Path, firstBase, LogFileNames.SwapSuffix), merged);
        File.WriteAllBytes(LogFileNames.OffsetIndexFile(dir.Path, firstBase, LogFileNames.SwapSuffix), []);
        // And debris of an unfinished cleaning and a pending deletion.
        File.WriteAllBytes(LogFileNames.LogFile(dir.Path, 12345, LogFileNames.CleanedSuffix), [1, 2, 3]);
        File.WriteAllBytes(LogFileNames.LogFile(dir.Path, 777, LogFileNames.DeletedSuffix), [1, 2, 3]);
        File.WriteAllBytes(LogFileNames.TimeIndexFile(dir.Path, 777, LogFileNames.DeletedSuffix), [1, 2, 3]);

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.Equal(1, reopened.Recovery.SwapsCompleted);
        Assert.DoesNotContain(dir.FileNames(), name => name.EndsWith(LogFileNames.SwapSuffix, StringComparison.Ordinal)
            || name.EndsWith(LogFileNames.CleanedSuffix, StringComparison.Ordinal) || name.EndsWith(LogFileNames.DeletedSuffix, StringComparison.Ordinal));
        Assert.False(File.Exists(LogFileNames.LogFile(dir.Path, secondBase)));
        Assert.Equal(firstBase, reopened.Segments[0].BaseOffset);
        Assert.Equal(batches, LogFixture.ReadAll(reopened));
    }

    [Fact]
    public void Restart_keeps_offsets_log_start_and_high_watermark()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        LogFixture.Fill(log, 50);
        log.UpdateHighWatermark(log.LogEndOffset - 3);
        long start = log.Segments[1].BaseOffset + 2;
        log.IncreaseLogStartOffset(start);
        (long end, long highWatermark) = (log.LogEndOffset, log.HighWatermark);
        log.Close();

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.Equal(start, reopened.LogStartOffset);
        Assert.Equal(end, reopened.LogEndOffset);
        Assert.Equal(highWatermark, reopened.HighWatermark);
        Assert.Throws<OffsetOutOfRangeException>(() => reopened.Read(start - 1, 100));
        Assert.Equal(end, reopened.Append(TestBatches.Simple(1, 1)).FirstOffset);
    }

    [Fact]
    public void The_log_start_offset_survives_an_unclean_stop_once_checkpointed()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        LogFixture.Fill(log, 50);
        log.UpdateHighWatermark(log.LogEndOffset);
        long start = log.Segments[2].BaseOffset + 1;
        log.IncreaseLogStartOffset(start);
        log.Abandon();

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.False(reopened.Recovery.HadCleanShutdown);
        Assert.Equal(start, reopened.LogStartOffset);
    }
}
