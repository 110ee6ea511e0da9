using Gregor.Protocol.Records;

namespace Gregor.Storage.Tests;

public sealed class AppendReadTests
{
    [Fact]
    public void Append_assigns_consecutive_offsets_by_rewriting_headers_and_keeps_the_crc_valid()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), time);

        byte[] firstBatch = TestBatches.Simple(3, 1000), secondBatch = TestBatches.Simple(2, 2000);
        byte[] blob = TestBatches.Concat(firstBatch, secondBatch);
        LogAppendResult first = log.Append(blob, leaderEpoch: 7);
        LogAppendResult second = log.Append(TestBatches.Simple(4, 3000));

        Assert.Equal((0, 4, 5), (first.FirstOffset, first.LastOffset, first.LogEndOffset));
        Assert.Equal((2, 5), (first.BatchCount, first.RecordCount));
        Assert.Equal(-1, first.LogAppendTime);
        Assert.Equal(2001, first.MaxTimestamp);
        Assert.Equal((5, 8, 9), (second.FirstOffset, second.LastOffset, second.LogEndOffset));
        Assert.Equal(9, log.LogEndOffset);

        List<BatchInfo> headers = TestBatches.Headers(blob);
        Assert.Equal([0L, 3L], headers.Select(h => h.BaseOffset));
        Assert.All(headers, h => Assert.Equal(7, h.PartitionLeaderEpoch));
        Assert.True(RecordBatchValidator.ValidateAll(blob, RecordBatchValidationOptions.Default, out _, out _).IsValid);
        // Only the base offset and epoch changed: everything the CRC covers is as the producer sent it.
        Assert.Equal(firstBatch[RecordBatchHeader.CrcCoveredStart..], blob[RecordBatchHeader.CrcCoveredStart..firstBatch.Length]);
        Assert.Equal(secondBatch[RecordBatchHeader.CrcCoveredStart..], blob[(firstBatch.Length + RecordBatchHeader.CrcCoveredStart)..]);

        using LogReadResult read = log.Read(0, 1 << 20);
        Assert.Equal(3, read.BatchCount);
        Assert.Equal(blob, read.Records[..blob.Length].ToArray());
        Assert.Equal([0L, 3L, 5L], TestBatches.Headers(read.Records.Span).Select(h => h.BaseOffset));
    }

    [Fact]
    public void Segment_files_use_kafkas_names_and_index_formats()
    {
        using var dir = new TempLogDirectory("payments", 3);
        using (var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), new ManualTimeProvider()))
        {
            Assert.Equal(("payments", 3), (log.Topic, log.Partition));
            log.Append(TestBatches.Simple(1, 10));
        }
        Assert.Contains("00000000000000000000.log", dir.FileNames());
        Assert.Contains("00000000000000000000.index", dir.FileNames());
        Assert.Contains("00000000000000000000.timeindex", dir.FileNames());
        Assert.EndsWith("payments-3", dir.Path);
    }

    [Fact]
    public void Read_starts_at_the_batch_containing_the_offset_and_returns_whole_batches_within_the_limit()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 1 << 20, indexInterval: 100), new ManualTimeProvider());
        var sizes = new List<int>();
        for (int i = 0; i < 50; i++)
        {
            byte[] batch = TestBatches.Simple(4, 1000 + i * 10, valueBytes: 20);
            sizes.Add(batch.Length);
            log.Append(batch);
        }

        // Offset 41 is inside the batch [40, 43].
        using (LogReadResult read = log.Read(41, maxBytes: sizes[10] * 3 + 5))
        {
            Assert.Equal(40, read.FirstOffset);
            Assert.Equal(3, read.BatchCount);
            Assert.Equal(52, read.NextOffset);
            Assert.Equal(sizes[10] * 3, read.Length);
            Assert.Equal([40L, 44L, 48L], TestBatches.Headers(read.Records.Span).Select(h => h.BaseOffset));
        }

        // Every offset reads from its own batch, through the index.
        for (long offset = 0; offset < log.LogEndOffset; offset++)
        {
            using LogReadResult read = log.Read(offset, maxBytes: 1);
            Assert.Equal(offset / 4 * 4, read.FirstOffset);
            Assert.Equal(1, read.BatchCount);
        }
        Assert.True(log.ActiveSegment.OffsetIndex.Entries > 5, "the index should have sparse entries");
    }

    [Fact]
    public void Read_returns_one_whole_batch_larger_than_the_limit_only_when_asked()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), new ManualTimeProvider());
        byte[] big = TestBatches.Simple(10, 100, valueBytes: 100);
        log.Append(big);

        using (LogReadResult atLeastOne = log.Read(0, maxBytes: 10, minOneBatch: true))
        {
            Assert.Equal(big.Length, atLeastOne.Length);
            Assert.False(atLeastOne.FirstBatchTooLarge);
        }
        using LogReadResult strict = log.Read(0, maxBytes: 10, minOneBatch: false);
        Assert.Equal(0, strict.Length);
        Assert.True(strict.FirstBatchTooLarge);
    }

    [Fact]
    public void Read_stops_below_the_upper_offset_and_at_the_log_end()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), new ManualTimeProvider());
        for (int i = 0; i < 5; i++)
            log.Append(TestBatches.Simple(2, 100 + i));
        log.UpdateHighWatermark(6);

        using (LogReadResult consumer = log.Read(0, 1 << 20, maxOffset: log.HighWatermark))
        {
            Assert.Equal(3, consumer.BatchCount);
            Assert.Equal(6, consumer.NextOffset);
            Assert.Equal(6, consumer.HighWatermark);
            Assert.Equal(10, consumer.LogEndOffset);
        }
        using (LogReadResult atHighWatermark = log.Read(6, 1 << 20, maxOffset: 6))
            Assert.Equal(0, atHighWatermark.Length);
        using (LogReadResult follower = log.Read(6, 1 << 20))
            Assert.Equal(2, follower.BatchCount);
        using (LogReadResult atEnd = log.Read(10, 1 << 20))
            Assert.Equal(0, atEnd.Length);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(11, 100));
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(-1, 100));
    }

    [Theory]
    [InlineData("crc", typeof(CorruptRecordException), RecordBatchError.CrcMismatch)]
    [InlineData("magic", typeof(InvalidRecordException), RecordBatchError.UnsupportedMagic)]
    [InlineData("magic-garbage", typeof(CorruptRecordException), RecordBatchError.UnsupportedMagic)]
    [InlineData("length-short", typeof(CorruptRecordException), RecordBatchError.BatchLengthTooSmall)]
    [InlineData("length-long", typeof(CorruptRecordException), RecordBatchError.TruncatedBatch)]
    [InlineData("length-huge", typeof(RecordTooLargeException), RecordBatchError.BatchTooLarge)]
    [InlineData("truncated", typeof(CorruptRecordException), RecordBatchError.TruncatedBatch)]
    [InlineData("empty", typeof(InvalidRecordException), RecordBatchError.None)]
    [InlineData("count", typeof(InvalidRecordException), RecordBatchError.InvalidOffsetRange)]
    [InlineData("codec", typeof(InvalidRecordException), RecordBatchError.InvalidCompressionCodec)]
    public void Bad_batches_are_rejected_with_the_validators_finding_and_nothing_of_the_blob_is_appended(string damage, Type exception, RecordBatchError error) =>
        AssertRejected(damage, exception, error, crcVerified: false);

    /// <summary>A caller that checked the CRC itself (the broker's Produce path) skips only that pass: every other defect is still caught.</summary>
    [Theory]
    [InlineData("magic", typeof(InvalidRecordException), RecordBatchError.UnsupportedMagic)]
    [InlineData("magic-garbage", typeof(CorruptRecordException), RecordBatchError.UnsupportedMagic)]
    [InlineData("length-short", typeof(CorruptRecordException), RecordBatchError.BatchLengthTooSmall)]
    [InlineData("length-long", typeof(CorruptRecordException), RecordBatchError.TruncatedBatch)]
    [InlineData("length-huge", typeof(RecordTooLargeException), RecordBatchError.BatchTooLarge)]
    [InlineData("truncated", typeof(CorruptRecordException), RecordBatchError.TruncatedBatch)]
    [InlineData("empty", typeof(InvalidRecordException), RecordBatchError.None)]
    [InlineData("count", typeof(InvalidRecordException), RecordBatchError.InvalidOffsetRange)]
    [InlineData("codec", typeof(InvalidRecordException), RecordBatchError.InvalidCompressionCodec)]
    public void With_the_crc_verified_by_the_caller_every_other_defect_is_still_rejected(string damage, Type exception, RecordBatchError error) =>
        AssertRejected(damage, exception, error, crcVerified: true);

    private static void AssertRejected(string damage, Type exception, RecordBatchError error, bool crcVerified)
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), new ManualTimeProvider());
        log.Append(TestBatches.Simple(2, 1));
        byte[] good = TestBatches.Simple(3, 5);
        byte[] bad = TestBatches.Simple(3, 6);
        switch (damage)
        {
            case "crc": bad[^1] ^= 0x40; break;
            case "magic": bad[RecordBatchHeader.MagicOffset] = 1; break;
            case "magic-garbage": bad[RecordBatchHeader.MagicOffset] = 9; break;
            case "length-short": bad[RecordBatchHeader.BatchLengthOffset + 3] = 10; bad[RecordBatchHeader.BatchLengthOffset + 2] = 0; break;
            case "length-long": bad[RecordBatchHeader.BatchLengthOffset + 2] += 1; break;
            case "length-huge": bad[RecordBatchHeader.BatchLengthOffset + 1] = 0x7f; break;
            case "truncated": bad = bad[..^3]; break;
            case "empty": good = []; bad = []; break;
            case "count": Recrc(bad, () => bad[RecordBatchHeader.RecordsCountOffset + 3] = 2); break;
            case "codec": Recrc(bad, () => bad[RecordBatchHeader.AttributesOffset + 1] = 6); break;
        }
        long sizeBefore = log.Size;
        StorageException thrown = Assert.ThrowsAny<StorageException>(() => log.Append(TestBatches.Concat(good, bad), crcVerified: crcVerified));
        Assert.IsType(exception, thrown);
        RecordBatchError found = thrown switch
        {
            CorruptRecordException corrupt => corrupt.Error,
            InvalidRecordException invalid => invalid.Error,
            RecordTooLargeException tooLarge => tooLarge.Error,
            _ => throw new InvalidOperationException(thrown.GetType().Name),
        };
        Assert.Equal(error, found);
        if (error != RecordBatchError.None)
        {
            // The validator's own message, with the position of the defect in the blob (the bad batch follows the good one).
            Assert.StartsWith(error + ": ", thrown.Message);
            Assert.Matches(@"at byte (\d+)", thrown.Message);
            int position = int.Parse(System.Text.RegularExpressions.Regex.Match(thrown.Message, @"at byte (\d+)").Groups[1].Value);
            Assert.InRange(position, good.Length, good.Length + RecordBatchHeader.Size);
        }
        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal(sizeBefore, log.Size);
    }

    private static void Recrc(byte[] batch, Action change)
    {
        change();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchHeader.CrcOffset), RecordBatchHeader.ComputeCrc(batch));
    }

    [Fact]
    public void Batches_above_max_message_bytes_are_rejected()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small() with { MaxMessageBytes = 200 }, new ManualTimeProvider());
        Assert.Throws<RecordTooLargeException>(() => log.Append(TestBatches.Simple(5, 1, valueBytes: 100)));
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void LogAppendTime_topics_stamp_the_broker_time_into_each_batch()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small() with { MessageTimestampType = MessageTimestampType.LogAppendTime }, time);
        byte[] batch = TestBatches.Simple(3, 5);
        LogAppendResult result = log.Append(batch);

        Assert.Equal(time.NowMs, result.LogAppendTime);
        BatchInfo header = TestBatches.Headers(batch)[0];
        Assert.Equal(time.NowMs, header.MaxTimestamp);
        Assert.True((header.Attributes & RecordBatchAttributes.LogAppendTime) != 0);
        Assert.True(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default).IsValid);
        Assert.Equal(new TimestampAndOffset(time.NowMs, 0, -1), log.FindOffsetByTimestamp(time.NowMs));
    }

    [Fact]
    public void Replicated_appends_keep_offsets_and_reject_going_backwards()
    {
        using var leaderDir = new TempLogDirectory("t", 0);
        using var followerDir = new TempLogDirectory("t", 1);
        var time = new ManualTimeProvider();
        using var leader = PartitionLog.Open(leaderDir.Path, LogTestConfig.Small(), time);
        using var follower = PartitionLog.Open(followerDir.Path, LogTestConfig.Small(), time);
        for (int i = 0; i < 4; i++)
            leader.Append(TestBatches.Simple(3, 10 * i), leaderEpoch: 2);

        using (LogReadResult fetched = leader.Read(0, 1 << 20))
        {
            LogAppendResult appended = follower.AppendReplicated(fetched.Records.Span);
            Assert.Equal((0, 11, 12), (appended.FirstOffset, appended.LastOffset, appended.LogEndOffset));
            Assert.Throws<UnexpectedAppendOffsetException>(() => follower.AppendReplicated(fetched.Records.Span));
        }
        using LogReadResult copy = follower.Read(0, 1 << 20);
        using LogReadResult original = leader.Read(0, 1 << 20);
        Assert.Equal(original.Records.ToArray(), copy.Records.ToArray());
        Assert.Equal(2, follower.EpochOfBatchAt(5));
    }
}
