using System.Buffers.Binary;

namespace Gregor.Storage.Tests;

/// <summary>How reads find and fetch batches: one file read per log read where the index allows, and the same bytes whatever path is taken.</summary>
public sealed class ReadPathTests
{
    private static LogConfig Config => LogTestConfig.Small(segmentBytes: 64 << 20, indexInterval: 4096) with { SegmentIndexBytes = 1 << 20 };

    [Fact]
    public void A_read_costs_one_file_read_when_the_index_bounds_the_batch()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config, new ManualTimeProvider());
        // Producer-sized batches: 15 records of 1 KiB, about 16 KiB each.
        for (int i = 0; i < 100; i++)
            log.Append(TestBatches.Simple(15, 1000 + i, valueBytes: 1024));
        long end = log.LogEndOffset;

        long offset = 0;
        while (offset < end)
        {
            using LogReadResult read = log.Read(offset, 64 * 1024);
            Assert.Equal(1, ReadsDuring(() => log.Read(offset, 64 * 1024).Dispose()));
            offset = read.NextOffset;
        }
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            long at = random.NextInt64(end);
            // Any limit from one batch up (a smaller one needs a second read for the rest of the first batch).
            Assert.Equal(1, ReadsDuring(() => log.Read(at, random.Next(17_000, 300_000)).Dispose()));
            Assert.Equal(1, ReadsDuring(() => log.EpochOfBatchAt(at)));
        }
        Assert.Equal(1, ReadsDuring(() => log.Read(end - 1, 1 << 20).Dispose()));
    }

    [Fact]
    public void A_first_batch_larger_than_the_limit_costs_a_second_read()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config, new ManualTimeProvider());
        byte[] big = TestBatches.Simple(40, 1, valueBytes: 1000);
        // The first batch is over index.interval.bytes, so the big one gets an index entry and the read knows where it is.
        log.Append(TestBatches.Simple(5, 0, valueBytes: 1000));
        log.Append(big);
        Assert.Equal(1, log.ActiveSegment.OffsetIndex.Entries);

        Assert.Equal(2, ReadsDuring(() => log.Read(5, 1000).Dispose()));
        Assert.Equal(1, ReadsDuring(() => log.Read(5, big.Length).Dispose()));
        using LogReadResult read = log.Read(5, 1000);
        Assert.Equal(big, read.Records.ToArray());
    }

    [Fact]
    public void An_index_entry_that_does_not_fit_the_file_only_costs_a_scan()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config with { IndexIntervalBytes = 100 }, new ManualTimeProvider());
        var written = new List<byte[]>();
        for (int i = 0; i < 60; i++)
        {
            byte[] batch = TestBatches.Simple(3, 1000 + i, valueBytes: 40);
            log.Append(batch);
            written.Add(batch);
        }
        OffsetIndex index = log.ActiveSegment.OffsetIndex;
        Assert.True(index.Entries > 10);
        // Point an entry at the wrong batch, through the file the index maps.
        OffsetPosition victim = index.Entry(5), other = index.Entry(7);
        using (var file = new FileStream(index.FilePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            byte[] position = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(position, other.Position);
            file.Position = 5 * OffsetIndex.Size + 4;
            file.Write(position);
        }
        Assert.Equal(other.Position, index.Entry(5).Position);

        for (long offset = victim.Offset - 3; offset <= victim.Offset + 6; offset++)
        {
            using LogReadResult read = log.Read(offset, 1);
            Assert.Equal(written[(int)(offset / 3)], read.Records.ToArray());
            Assert.True(log.ActiveSegment.TryTranslateOffset(offset, out BatchInfo batch));
            Assert.Equal(offset / 3 * 3, batch.BaseOffset);
        }
    }

    [Fact]
    public void Reads_return_what_a_simple_model_of_the_log_says_for_any_offset_limit_and_bound()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config with { IndexIntervalBytes = 2048 }, new ManualTimeProvider());
        var random = new Random(11);
        var batches = new List<(long Base, long Last, byte[] Bytes)>();
        for (int i = 0; i < 150; i++)
        {
            // Mostly small batches, some of 10-100 KiB so the index leaves stretches too long to read whole.
            int records = random.Next(1, 6);
            int valueBytes = random.Next(10) == 0 ? random.Next(10_000, 25_000) : random.Next(5, 400);
            byte[] batch = TestBatches.Simple(records, 1000 + i, valueBytes: valueBytes);
            LogAppendResult appended = log.Append(batch);
            batches.Add((appended.FirstOffset, appended.LastOffset, batch));
        }
        long end = log.LogEndOffset;

        for (int i = 0; i < 2000; i++)
        {
            long start = random.NextInt64(end + 1);
            int maxBytes = random.Next(4) switch { 0 => random.Next(0, 100), 1 => random.Next(100, 20_000), _ => random.Next(20_000, 300_000) };
            long maxOffset = random.Next(3) == 0 ? random.NextInt64(start, end + 2) : long.MaxValue;
            bool minOneBatch = random.Next(4) != 0;
            using LogReadResult read = log.Read(start, maxBytes, maxOffset, minOneBatch);

            byte[] expected = Expected(batches, start, maxBytes, maxOffset, minOneBatch, out bool tooLarge);
            string what = $"read({start}, {maxBytes}, {maxOffset}, {minOneBatch})";
            Assert.True(expected.AsSpan().SequenceEqual(read.Records.Span), what);
            Assert.Equal(tooLarge, read.FirstBatchTooLarge);
            if (expected.Length > 0)
                Assert.Equal(TestBatches.Headers(expected)[^1].LastOffset + 1, read.NextOffset);
        }
    }

    private static byte[] Expected(List<(long Base, long Last, byte[] Bytes)> batches, long start, int maxBytes, long maxOffset, bool minOneBatch, out bool tooLarge)
    {
        tooLarge = false;
        if (start >= Math.Min(maxOffset, batches[^1].Last + 1))
            return [];
        int first = batches.FindIndex(b => b.Last >= start);
        if (batches[first].Last >= maxOffset)
            return [];
        if (!minOneBatch && batches[first].Bytes.Length > maxBytes)
        {
            tooLarge = true;
            return [];
        }
        var taken = new List<byte[]> { batches[first].Bytes };
        int total = batches[first].Bytes.Length;
        for (int i = first + 1; i < batches.Count && batches[i].Last < maxOffset && total + batches[i].Bytes.Length <= maxBytes; i++)
        {
            taken.Add(batches[i].Bytes);
            total += batches[i].Bytes.Length;
        }
        return TestBatches.Concat([.. taken]);
    }

    private static long ReadsDuring(Action action)
    {
        long before = SegmentScanner.FileReadsOnThisThread;
        action();
        return SegmentScanner.FileReadsOnThisThread - before;
    }
}
