namespace Gregor.Storage.Tests;

public sealed class RollAndIndexTests
{
    [Fact]
    public void Segments_roll_at_segment_bytes_and_every_batch_stays_readable()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1500), new ManualTimeProvider());
        List<byte[]> batches = LogFixture.Fill(log, 80);

        Assert.True(log.Segments.Count > 5);
        for (int i = 0; i < log.Segments.Count - 1; i++)
        {
            LogSegment segment = log.Segments[i];
            Assert.True(segment.Size <= 1500, $"segment {segment.BaseOffset} is {segment.Size} bytes");
            // Each segment is named after the first offset it holds, which follows the previous segment's last.
            Assert.Equal(segment.ReadNextOffset(), log.Segments[i + 1].BaseOffset);
            Assert.True(File.Exists(LogFileNames.LogFile(dir.Path, segment.BaseOffset)));
        }
        Assert.Equal(batches, LogFixture.ReadAll(log));
    }

    [Fact]
    public void Segment_ms_rolls_by_the_new_batch_timestamp_against_the_first_batch_timestamp()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20) with { SegmentMs = 60_000 }, time);
        log.Append(TestBatches.Simple(1, 100_000));
        log.Append(TestBatches.Simple(1, 159_999));
        Assert.Single(log.Segments);
        log.Append(TestBatches.Simple(1, 160_001));
        Assert.Equal(2, log.Segments.Count);
        Assert.Equal(2, log.ActiveSegment.BaseOffset);
    }

    [Fact]
    public void Segment_ms_uses_wall_time_when_batches_carry_no_timestamp()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20) with { SegmentMs = 1_000 }, time);
        log.Append(TestBatches.Batch([new TestRecord(null, [1], -1)]));
        time.AdvanceMs(999);
        log.Append(TestBatches.Batch([new TestRecord(null, [2], -1)]));
        Assert.Single(log.Segments);
        time.AdvanceMs(2);
        log.Append(TestBatches.Batch([new TestRecord(null, [3], -1)]));
        Assert.Equal(2, log.Segments.Count);
    }

    [Fact]
    public void A_full_offset_index_rolls_the_segment_and_indexes_are_trimmed_when_inactive()
    {
        using var dir = new TempLogDirectory();
        // Room for 4 offset entries (32 bytes) and 2 time entries; an entry after every batch.
        LogConfig config = LogTestConfig.Small(segmentBytes: 1 << 20, indexInterval: 0) with { SegmentIndexBytes = 32 };
        using var log = PartitionLog.Open(dir.Path, config, new ManualTimeProvider());
        for (int i = 0; i < 20; i++)
            log.Append(TestBatches.Simple(1, 1000 + i));

        Assert.True(log.Segments.Count > 3);
        foreach (LogSegment segment in log.Segments.Take(log.Segments.Count - 1))
        {
            Assert.Equal(segment.OffsetIndex.Entries * OffsetIndex.Size, new FileInfo(segment.OffsetIndex.FilePath).Length);
            Assert.Equal(segment.TimeIndex.Entries * TimeIndex.Size, new FileInfo(segment.TimeIndex.FilePath).Length);
        }
        // The active segment's indexes are preallocated to segment.index.bytes.
        Assert.Equal(32, new FileInfo(log.ActiveSegment.OffsetIndex.FilePath).Length);
    }

    [Fact]
    public void Offset_index_entries_are_sparse_by_index_interval_bytes_and_point_at_batch_ends()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20, indexInterval: 500), new ManualTimeProvider());
        var written = new List<byte[]>();
        for (int i = 0; i < 60; i++)
        {
            byte[] batch = TestBatches.Simple(2, 1000 + i, valueBytes: 30);
            log.Append(batch);
            written.Add(batch);
        }
        OffsetIndex index = log.ActiveSegment.OffsetIndex;
        List<BatchInfo> stored = TestBatches.Headers(File.ReadAllBytes(log.ActiveSegment.LogPath));
        int batchSize = written[0].Length;
        Assert.InRange(index.Entries, stored.Sum(b => b.Size) / (500 + batchSize) - 1, stored.Sum(b => b.Size) / 500 + 1);
        int previous = -1;
        for (int slot = 0; slot < index.Entries; slot++)
        {
            OffsetPosition entry = index.Entry(slot);
            BatchInfo at = stored.Single(b => b.Position == entry.Position);
            Assert.Equal(at.LastOffset, entry.Offset);
            if (previous >= 0)
                Assert.True(entry.Position - previous > 500, "entries are more than index.interval.bytes apart");
            previous = entry.Position;
        }
        Assert.Equal(index.Entry(2), index.Lookup(index.Entry(2).Offset + 1));
        Assert.Equal(new OffsetPosition(0, 0), index.Lookup(0));
    }

    [Fact]
    public void Time_index_lookup_finds_the_largest_entry_at_or_below_a_timestamp()
    {
        using var dir = new TempLogDirectory();
        string path = Path.Combine(dir.Path, "00000000000000000100.timeindex");
        var index = new TimeIndex(path, 100, 1200, writable: true);
        index.MaybeAppend(1000, 105);
        index.MaybeAppend(1000, 107);  // not larger: ignored
        index.MaybeAppend(2000, 110);
        index.MaybeAppend(3000, 120);

        Assert.Equal(3, index.Entries);
        Assert.Equal(new TimestampOffset(-1, 100), index.Lookup(999));
        Assert.Equal(new TimestampOffset(1000, 105), index.Lookup(1999));
        Assert.Equal(new TimestampOffset(2000, 110), index.Lookup(2000));
        Assert.Equal(new TimestampOffset(3000, 120), index.Lookup(long.MaxValue));
        index.TruncateTo(110);
        Assert.Equal(new TimestampOffset(1000, 105), index.LastEntry);
        index.TrimToValidSize();
        Assert.Equal(TimeIndex.Size, new FileInfo(path).Length);
        index.Dispose();
    }
}
