namespace Gregor.Storage.Tests;

public sealed class TimestampLookupTests
{
    [Fact]
    public void Timestamp_lookup_returns_the_first_record_at_or_after_the_target_across_segments()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 800, indexInterval: 100), new ManualTimeProvider());
        // Record i has timestamp 10_000 + 10 i: batches of 3 records.
        var timestamps = new List<long>();
        for (int batch = 0; batch < 40; batch++)
        {
            var records = new List<TestRecord>();
            for (int r = 0; r < 3; r++)
            {
                long ts = 10_000 + 10 * (batch * 3 + r);
                timestamps.Add(ts);
                records.Add(TestRecord.Of("key" + batch, "value" + r, ts));
            }
            log.Append(TestBatches.Batch(records), leaderEpoch: batch / 10);
        }
        Assert.True(log.Segments.Count > 3);

        for (int offset = 0; offset < timestamps.Count; offset++)
        {
            Assert.Equal(new TimestampAndOffset(timestamps[offset], offset, offset / 30), log.FindOffsetByTimestamp(timestamps[offset]));
            // Between two records: the later one.
            Assert.Equal(offset, log.FindOffsetByTimestamp(timestamps[offset] - 5)!.Value.Offset);
        }
        Assert.Equal(0, log.FindOffsetByTimestamp(0)!.Value.Offset);
        Assert.Null(log.FindOffsetByTimestamp(timestamps[^1] + 1));
    }

    [Fact]
    public void Timestamps_out_of_order_still_find_the_first_qualifying_record()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), new ManualTimeProvider());
        log.Append(TestBatches.Batch([TestRecord.Of("a", "1", 500), TestRecord.Of("b", "2", 100)]));
        log.Append(TestBatches.Batch([TestRecord.Of("c", "3", 300), TestRecord.Of("d", "4", 900)]));
        Assert.Equal(0, log.FindOffsetByTimestamp(200)!.Value.Offset);
        Assert.Equal(3, log.FindOffsetByTimestamp(600)!.Value.Offset);
        Assert.Equal(new TimestampAndOffset(900, 3, -1), log.FindOffsetOfMaxTimestamp());
    }

    [Fact]
    public void List_offset_answers_earliest_latest_and_max_timestamp()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 600), new ManualTimeProvider());
        Assert.Equal(0, log.ListOffset(PartitionLog.EarliestTimestamp)!.Value.Offset);
        Assert.Equal(0, log.ListOffset(PartitionLog.LatestTimestamp)!.Value.Offset);
        Assert.Null(log.ListOffset(PartitionLog.MaxTimestamp));

        for (int i = 0; i < 30; i++)
            log.Append(TestBatches.Batch([TestRecord.Of("k", "v", i == 17 ? 99_999 : 1_000 + i), TestRecord.Of("k", "v", 1_000 + i)]), leaderEpoch: 4);
        log.UpdateHighWatermark(log.LogEndOffset);
        log.IncreaseLogStartOffset(5);

        Assert.Equal(new TimestampAndOffset(-1, 5, 4), log.ListOffset(PartitionLog.EarliestTimestamp));
        Assert.Equal(new TimestampAndOffset(-1, 60, 4), log.ListOffset(PartitionLog.LatestTimestamp));
        Assert.Equal(new TimestampAndOffset(99_999, 34, 4), log.ListOffset(PartitionLog.MaxTimestamp));
        // Records before the log start offset are not answers.
        Assert.Equal(5, log.ListOffset(0)!.Value.Offset);
        Assert.Throws<ArgumentOutOfRangeException>(() => log.ListOffset(-7));
    }
}
