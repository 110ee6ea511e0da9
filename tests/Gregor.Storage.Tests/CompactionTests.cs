namespace Gregor.Storage.Tests;

public sealed class CompactionTests
{
    private static LogConfig CompactConfig => LogTestConfig.Small(segmentBytes: 2048, indexInterval: 128) with
    {
        CleanupPolicy = CleanupPolicy.Compact,
        DeleteRetentionMs = 10_000,
        MinCleanableDirtyRatio = 0.01,
    };

    /// <summary>Appends a batch of (key, value) records; returns the first offset.</summary>
    private static long Put(PartitionLog log, ManualTimeProvider time, params (string Key, string? Value)[] records) =>
        log.Append(TestBatches.Batch([.. records.Select(r => TestRecord.Of(r.Key, r.Value, time.NowMs))])).FirstOffset;

    private static void Commit(PartitionLog log)
    {
        log.Roll();
        log.UpdateHighWatermark(log.LogEndOffset);
    }

    [Fact]
    public void A_compacted_log_answers_every_keys_latest_value_over_many_random_rounds_with_tombstones()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        var random = new Random(42);
        var model = new Dictionary<string, string>();
        var appended = new Dictionary<long, (string Key, string? Value)>();
        long totalAppended = 0;

        for (int round = 0; round < 60; round++)
        {
            for (int b = random.Next(3, 12); b > 0; b--)
            {
                var records = new List<(string, string?)>();
                for (int r = random.Next(1, 6); r > 0; r--)
                {
                    string key = "key-" + random.Next(40);
                    string? value = random.Next(100) < 15 ? null : $"v{round}-{random.Next(1000)}";
                    records.Add((key, value));
                }
                long first = Put(log, time, [.. records]);
                for (int i = 0; i < records.Count; i++)
                {
                    appended[first + i] = records[i];
                    if (records[i].Item2 is null)
                        model.Remove(records[i].Item1);
                    else
                        model[records[i].Item1] = records[i].Item2!;
                }
                totalAppended += records.Count;
            }
            if (random.Next(3) > 0)
                log.Roll();
            log.UpdateHighWatermark(log.LogEndOffset);
            cleaner.Clean(log, force: random.Next(2) == 0);
            time.AdvanceMs(random.Next(0, 4_000));

            List<StoredRecord> stored = LogRecords.ReadAll(log);
            Assert.Equal(model, LogRecords.Fold(stored));
            long previous = -1;
            foreach (StoredRecord record in stored)
            {
                // Offsets are kept: every surviving record is the one appended at its offset.
                Assert.True(record.Offset > previous);
                Assert.Equal(appended[record.Offset], (record.Key!, record.Value));
                previous = record.Offset;
            }
        }

        List<StoredRecord> final = LogRecords.ReadAll(log);
        Assert.True(final.Count < totalAppended / 3, $"{final.Count} of {totalAppended} records left: compaction did little");

        // Once delete.retention.ms has passed since tombstones were first kept, a pass removes them.
        Commit(log);
        cleaner.Clean(log, force: true);
        time.AdvanceMs(CompactConfig.DeleteRetentionMs + 1);
        cleaner.Clean(log, force: true);
        List<StoredRecord> afterExpiry = LogRecords.ReadAll(log);
        Assert.DoesNotContain(afterExpiry, r => r.Value is null);
        Assert.Equal(model, LogRecords.Fold(afterExpiry));
        Assert.Equal(model.Count, afterExpiry.Count);
    }

    [Fact]
    public void Cleaning_keeps_offsets_latest_values_and_untouched_batches_byte_for_byte()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        Put(log, time, ("a", "1"), ("b", "1"));   // 0, 1
        Put(log, time, ("a", "2"));               // 2
        Put(log, time, ("c", "1"));               // 3
        Put(log, time, ("b", null));              // 4
        using (LogReadResult before = log.Read(3, 1))
            Assert.Equal(1, before.BatchCount);
        byte[] untouched = LogFixture.ReadAll(log)[2];
        Commit(log);

        CleanerStats stats = cleaner.Clean(log)!;

        Assert.Equal(1, stats.GroupsSwapped);
        Assert.Equal(5, stats.RecordsRead);
        Assert.Equal(3, stats.RecordsRetained);
        List<StoredRecord> stored = LogRecords.ReadAll(log);
        // The first batch lost both records and is dropped; the a=2 and c=1 batches stay as they were.
        Assert.Equal([2L, 3L, 4L], stored.Select(r => r.Offset));
        Assert.Equal([("a", "2"), ("c", "1")], stored.Take(2).Select(r => (r.Key!, r.Value!)));
        Assert.Null(stored[2].Value);
        Assert.True(stored[2].BatchHasDeleteHorizon);
        Assert.Contains(LogFixture.ReadAll(log), batch => batch.AsSpan().SequenceEqual(untouched));
        Assert.Equal(5, log.LogEndOffset);
        Assert.Equal(5, log.CleanerOffset);
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(0, log.Segments[0].BaseOffset);
    }

    [Fact]
    public void Tombstones_stay_for_delete_retention_ms_and_then_go_with_the_values_they_deleted()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        Put(log, time, ("gone", "1"), ("kept", "1"));
        Put(log, time, ("gone", null));
        Commit(log);

        cleaner.Clean(log);
        Assert.Equal([("kept", "1"), ("gone", (string?)null)], LogRecords.ReadAll(log).Select(r => (r.Key!, r.Value)));

        time.AdvanceMs(CompactConfig.DeleteRetentionMs - 1);
        cleaner.Clean(log, force: true);
        Assert.Equal(2, LogRecords.ReadAll(log).Count);

        time.AdvanceMs(1);
        CleanerStats stats = cleaner.Clean(log, force: true)!;
        Assert.Equal(1, stats.TombstonesRemoved);
        // The empty last batch of the group keeps the offset range; no record of "gone" is left.
        Assert.Equal([("kept", "1")], LogRecords.ReadAll(log).Select(r => (r.Key!, r.Value!)));
        Assert.Equal(3, log.LogEndOffset);
    }

    [Fact]
    public void The_cleaner_leaves_the_active_segment_data_above_the_high_watermark_and_recent_segments_alone()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig with { MinCompactionLagMs = 60_000 }, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        for (int i = 0; i < 5; i++)
            Put(log, time, ("k", "v" + i));
        // Active segment only: nothing to clean.
        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.Null(cleaner.Clean(log, force: true));
        log.Roll();
        // Inactive, but above the high watermark.
        log.UpdateHighWatermark(2);
        Assert.Null(cleaner.Clean(log, force: true));
        log.UpdateHighWatermark(log.LogEndOffset);
        // Committed, but younger than min.compaction.lag.ms.
        Assert.Null(cleaner.Clean(log, force: true));
        time.AdvanceMs(60_000);
        Assert.NotNull(cleaner.Clean(log, force: true));
        Assert.Equal([("k", "v4")], LogRecords.ReadAll(log).Select(r => (r.Key!, r.Value!)));
    }

    [Fact]
    public void The_dirty_ratio_and_max_compaction_lag_decide_when_a_log_needs_cleaning()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig with { MinCleanableDirtyRatio = 0.9, MaxCompactionLagMs = 100_000 }, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        for (int i = 0; i < 50; i++)
            Put(log, time, ("k" + i % 5, "v" + i));
        Commit(log);
        Assert.NotNull(cleaner.Clean(log));
        Put(log, time, ("k1", "x"));
        Commit(log);
        CleaningPlan plan = log.PlanCleaning(force: true)!;
        Assert.True(plan.DirtyRatio < 0.9);
        Assert.Null(log.PlanCleaning());
        time.AdvanceMs(100_001);
        Assert.True(log.PlanCleaning()!.MaxCompactionLagExceeded);
    }

    [Fact]
    public void Compressed_batches_are_compacted_and_keep_their_codec()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        const Gregor.Protocol.Compression.CompressionType gzip = Gregor.Protocol.Compression.CompressionType.Gzip;
        log.Append(BuiltBatches.Compressed(gzip, [TestRecord.Of("a", "1", 10), TestRecord.Of("b", "1", 20), TestRecord.Of("c", "1", 30)]));
        log.Append(BuiltBatches.Compressed(gzip, [TestRecord.Of("b", "2", 40)]));
        Assert.Equal(new TimestampAndOffset(20, 1, -1), log.FindOffsetByTimestamp(15));
        Commit(log);

        CleanerStats stats = cleaner.Clean(log)!;

        Assert.Equal(4, stats.RecordsRead);
        Assert.Equal(3, stats.RecordsRetained);
        Assert.Equal([("a", "1"), ("c", "1"), ("b", "2")], LogRecords.ReadAll(log).Select(r => (r.Key!, r.Value!)));
        Assert.Equal([0L, 2L, 3L], LogRecords.ReadAll(log).Select(r => r.Offset));
        Assert.All(LogFixture.ReadAll(log), batch =>
            Assert.Equal(1, (int)(Gregor.Protocol.Records.RecordBatchHeader.Attributes(batch) & Gregor.Protocol.Records.RecordBatchAttributes.CompressionMask)));
    }

    [Fact]
    public void Records_without_a_key_are_dropped_by_compaction_as_in_kafka()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        log.Append(TestBatches.Batch([new TestRecord(null, [1], 1), TestRecord.Of("k", "v", 2)]));
        Commit(log);
        cleaner.Clean(log);
        Assert.Equal([1L], LogRecords.ReadAll(log).Select(r => r.Offset));
    }

    [Fact]
    public void Compaction_survives_a_restart_and_does_not_redo_finished_work()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, CompactConfig, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        for (int i = 0; i < 200; i++)
            Put(log, time, ("k" + i % 7, "v" + i));
        Commit(log);
        cleaner.Clean(log);
        List<StoredRecord> cleaned = LogRecords.ReadAll(log);
        long cleanerOffset = log.CleanerOffset;
        log.Close();

        using var reopened = PartitionLog.Open(dir.Path, CompactConfig, time);
        Assert.Equal(cleaned, LogRecords.ReadAll(reopened));
        Assert.Equal(cleanerOffset, reopened.CleanerOffset);
        Assert.Null(cleaner.Clean(reopened));
    }

    [Theory]
    [InlineData("swap-committed")]
    [InlineData("old-renamed")]
    [InlineData("swap-finished")]
    public void A_crash_at_any_step_of_the_swap_leaves_a_log_with_every_latest_value(string step)
    {
        using var dir = new TempLogDirectory();
        using var crashed = new TempLogDirectory("crashed", 0);
        var time = new ManualTimeProvider();
        // Two inactive segments that the cleaner merges into one: a single swap.
        using var log = PartitionLog.Open(dir.Path, CompactConfig with { FileDeleteDelayMs = 60_000, SegmentBytes = 64 * 1024 }, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 64 * 1024);
        var random = new Random(7);
        for (int i = 0; i < 150; i++)
        {
            Put(log, time, ("k" + random.Next(20), random.Next(10) == 0 ? null : "v" + i));
            if (i == 70)
                log.Roll();
        }
        Commit(log);
        Assert.Equal(3, log.Segments.Count);
        List<StoredRecord> before = LogRecords.ReadAll(log);
        // The on-disk state at the chosen step is what a crash there would leave.
        log.SwapStepHook = reached =>
        {
            if (reached == step && !Directory.EnumerateFileSystemEntries(crashed.Path).Any())
                LogFixture.CopyDirectory(dir.Path, crashed.Path);
        };

        Assert.Equal(1, cleaner.Clean(log)!.GroupsSwapped);

        using var recovered = PartitionLog.Open(crashed.Path, CompactConfig, time);
        List<StoredRecord> after = LogRecords.ReadAll(recovered);
        Assert.Equal(LogRecords.Fold(before), LogRecords.Fold(after));
        // Once the rename to .swap happened, recovery completes the swap: the result is the cleaned log.
        Assert.Equal(LogRecords.ReadAll(log), after);
        Assert.Equal(2, recovered.Segments.Count);
        Assert.All(after, r => Assert.Contains(r with { BatchHasDeleteHorizon = false }, before));
        Assert.Equal(log.LogEndOffset, recovered.LogEndOffset);
        Assert.DoesNotContain(crashed.FileNames(), name => name.Contains(".swap", StringComparison.Ordinal)
            || name.Contains(".cleaned", StringComparison.Ordinal) || name.Contains(".deleted", StringComparison.Ordinal));
        Assert.True(after.Count < before.Count, "the recovered log should be the cleaned one");
    }

    [Fact]
    public async Task The_background_cleaner_compacts_while_appends_and_reads_go_on()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, CompactConfig with { SegmentBytes = 64 * 1024 }, time);
        using var cleaner = new LogCleaner(time, dedupeBufferBytes: 1024 * 1024, backoff: TimeSpan.FromMilliseconds(5));
        var model = new Dictionary<string, string>();
        for (int i = 0; i < 3000; i++)
        {
            model["k" + i % 100] = "v" + i;
            Put(log, time, ("k" + i % 100, "v" + i));
        }
        Commit(log);

        // A pass over this log takes a while; appends made during it must not wait for it.
        long appendsDuringPass = 0;
        int passRunning = 1;
        Task<CleanerStats?> pass = Task.Run(() =>
        {
            try
            {
                return cleaner.Clean(log);
            }
            finally
            {
                Volatile.Write(ref passRunning, 0);
            }
        });
        int extra = 0;
        while (Volatile.Read(ref passRunning) == 1 || extra < 10)
        {
            string key = "k" + extra % 100, value = "extra" + extra;
            Put(log, time, (key, value));
            model[key] = value;
            if (Volatile.Read(ref passRunning) == 1)
                appendsDuringPass++;
            extra++;
        }
        CleanerStats? stats = await pass;
        Assert.NotNull(stats);
        Assert.True(appendsDuringPass > 0, "appends should proceed while the cleaner works");

        cleaner.Register(log);
        cleaner.Start();
        Commit(log);
        SpinWait.SpinUntil(() => cleaner.BackgroundPasses > 0 && log.PlanCleaning() is null, TimeSpan.FromSeconds(20));
        await cleaner.StopAsync();
        Assert.True(cleaner.BackgroundPasses > 0);
        List<StoredRecord> stored = LogRecords.ReadAll(log);
        Assert.Equal(model, LogRecords.Fold(stored));
        Assert.True(stored.Count < 400, $"{stored.Count} records left");
    }

    [Fact]
    public void The_offset_map_keeps_the_latest_offset_per_key_and_refuses_new_keys_when_full()
    {
        var map = new OffsetMap(24 * 100);
        Assert.Equal(90, map.Capacity);
        for (int i = 0; i < 90; i++)
            Assert.True(map.Put(System.Text.Encoding.UTF8.GetBytes("key" + i), i));
        Assert.True(map.Put("key5"u8, 1000));
        Assert.False(map.Put("new"u8, 1001));
        Assert.Equal(1000, map.Get("key5"u8));
        Assert.Equal(89, map.Get("key89"u8));
        Assert.Equal(-1, map.Get("new"u8));
        Assert.Equal(1000, map.LatestOffset);
    }
}
