namespace Gregor.Storage.Tests;

/// <summary>
/// Regions: the batches a read would copy, located in the segment file instead, held open by a lease while a
/// response streams them, and found by reading headers only.
/// </summary>
public sealed class ReadRegionTests
{
    [Theory]
    [InlineData(0, 3)]
    [InlineData(100, 5)]
    [InlineData(4096, 7)]
    [InlineData(1 << 20, 11)]
    public void A_region_holds_exactly_the_bytes_a_read_returns(int indexInterval, int seed)
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 48 * 1024, indexInterval: indexInterval), new ManualTimeProvider());
        var random = new Random(seed);
        for (int i = 0; i < 600; i++)
            log.Append(TestBatches.Simple(random.Next(1, 8), 1_000 + i, valueBytes: random.Next(0, 400)));
        Assert.True(log.Segments.Count > 3);
        long end = log.LogEndOffset;

        for (int i = 0; i < 400; i++)
        {
            long offset = random.NextInt64(end);
            int maxBytes = random.Next(4) switch { 0 => random.Next(0, 200), 1 => random.Next(200, 5_000), _ => random.Next(5_000, 200_000) };
            long maxOffset = random.Next(3) == 0 ? random.NextInt64(offset, end + 1) : long.MaxValue;
            bool minOneBatch = random.Next(4) != 0;
            using LogReadResult read = log.Read(offset, maxBytes, maxOffset, minOneBatch);
            using LogRegion region = log.ReadRegion(offset, maxBytes, maxOffset, minOneBatch);
            string what = $"offset {offset}, maxBytes {maxBytes}, maxOffset {maxOffset}, minOneBatch {minOneBatch}";
            Assert.True(read.Length == region.Length, what + $": read {read.Length} bytes, region {region.Length}");
            Assert.Equal(read.FirstOffset, region.FirstOffset);
            Assert.Equal(read.FirstBatchTooLarge, region.FirstBatchTooLarge);
            Assert.Equal(read.HighWatermark, region.HighWatermark);
            Assert.True(read.Records.Span.SequenceEqual(Copy(region)), what);
        }
    }

    [Fact]
    public void Locating_a_large_region_reads_headers_only()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 64 << 20, indexInterval: 4096) with { SegmentIndexBytes = 1 << 20 }, new ManualTimeProvider());
        for (int i = 0; i < 2_000; i++)
            log.Append(TestBatches.Simple(10, 1_000 + i, valueBytes: 1_000));
        long before = FileReads();
        using LogRegion region = log.ReadRegion(5, 15 << 20);
        long reads = FileReads() - before;
        // The first batch, the end of the log (the bound), then a walk of at most an index interval below the limit.
        Assert.InRange(reads, 1, 4);
        Assert.InRange(region.Length, (15 << 20) - 20_000, 15 << 20);
    }

    [Fact]
    public void A_region_stays_readable_after_retention_deletes_its_segment_and_the_log_closes()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 2_000) with { RetentionMs = 1_000, FileDeleteDelayMs = 0 }, time);
        for (int i = 0; i < 40; i++)
            log.Append(TestBatches.Simple(3, time.NowMs, valueBytes: 100));
        log.UpdateHighWatermark(log.LogEndOffset);
        using LogReadResult expected = log.Read(0, 1_500);
        LogRegion region = log.ReadRegion(0, 1_500);
        string firstSegment = log.Segments[0].LogPath;

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(log.ApplyRetention() > 0);
        log.DeleteExpiredFiles();
        log.Close();
        Assert.False(File.Exists(firstSegment));

        Assert.True(expected.Records.Span.SequenceEqual(Copy(region)));
        Assert.True(OpenDeletedFiles(firstSegment) == 1, "the lease keeps the deleted segment open");
        region.Dispose();
        Assert.True(OpenDeletedFiles(firstSegment) == 0, "the last lease closes the deleted segment");
    }

    [Fact]
    public void A_truncation_under_a_region_shows_as_a_short_copy()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20), new ManualTimeProvider());
        for (int i = 0; i < 20; i++)
            log.Append(TestBatches.Simple(3, 1_000 + i, valueBytes: 100));
        using LogRegion region = log.ReadRegion(0, 1 << 20);
        log.Truncate(30);
        byte[] buffer = new byte[region.Length];
        Assert.True(region.CopyTo(buffer, 0) < region.Length);
    }

    private static byte[] Copy(LogRegion region)
    {
        byte[] bytes = new byte[region.Length];
        int copied = 0;
        while (copied < bytes.Length)
        {
            int step = region.CopyTo(bytes.AsSpan(copied, Math.Min(777, bytes.Length - copied)), copied);
            Assert.True(step > 0);
            copied += step;
        }
        return bytes;
    }

    private static long FileReads() => SegmentScanner.FileReadsOnThisThread;

    /// <summary>Descriptors of this process still open on <paramref name="path"/> (or its .deleted rename) after it was unlinked.</summary>
    private static int OpenDeletedFiles(string path) =>
        Directory.GetFiles("/proc/self/fd").Count(fd =>
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                return target is not null && target.StartsWith(path, StringComparison.Ordinal) && target.EndsWith(" (deleted)", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        });
}
