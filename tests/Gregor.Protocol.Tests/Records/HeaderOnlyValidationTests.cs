using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

/// <summary>The cheap mode a log uses (framing, CRC and header only) and reading an entry's size from its header alone.</summary>
public class HeaderOnlyValidationTests
{
    private static readonly RecordBatchValidationOptions HeaderOnly = RecordBatchValidationOptions.Default with
    {
        CheckCompressedRecords = false,
        CheckUncompressedRecords = false,
    };

    /// <summary>One record whose body declares one byte more than its fields fill: only a record walk can see it.</summary>
    private static byte[] BatchWithBadRecord()
    {
        byte[] record = Record(0, 0, Utf8("k"), Utf8("v"));
        record[0] += 2; // zigzag: the length prefix grows by one
        byte[] section = Concat(record, [0]);
        return Batch(section, count: 1, lastOffsetDelta: 0);
    }

    [Fact]
    public void Header_only_mode_accepts_a_batch_whose_records_are_malformed_but_full_mode_rejects_it()
    {
        byte[] batch = BatchWithBadRecord();
        Assert.False(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default).IsValid);
        var result = RecordBatchValidator.Validate(batch, HeaderOnly, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.False(info.RecordsChecked);
        Assert.Equal(1, info.RecordCount);
    }

    [Fact]
    public void Header_only_mode_still_checks_crc_and_header_consistency()
    {
        byte[] flipped = Batch(Record(0, 0, Utf8("k"), Utf8("v")), count: 1, lastOffsetDelta: 0);
        flipped[^1] ^= 1;
        Assert.Equal(CrcMismatch, RecordBatchValidator.Validate(flipped, HeaderOnly).Error);

        byte[] sparse = Batch(Concat(Record(0, 0, null, Utf8("a")), Record(0, 1, null, Utf8("b"))), count: 2, lastOffsetDelta: 5);
        Assert.Equal(InvalidOffsetRange, RecordBatchValidator.Validate(sparse, HeaderOnly).Error);
        Assert.True(RecordBatchValidator.Validate(sparse, HeaderOnly with { AllowOffsetGaps = true }).IsValid);

        byte[] tooMany = Batch(Record(0, 0, null, Utf8("a")), count: 1000, lastOffsetDelta: 999);
        Assert.Equal(InvalidRecordCount, RecordBatchValidator.Validate(tooMany, HeaderOnly).Error);
    }

    [Fact]
    public void Without_crc_verification_a_wrong_crc_passes_but_header_defects_do_not()
    {
        var noCrc = HeaderOnly with { VerifyCrc = false };
        byte[] flipped = Batch(Record(0, 0, Utf8("k"), Utf8("v")), count: 1, lastOffsetDelta: 0);
        flipped[^1] ^= 1;
        Assert.True(RecordBatchValidator.Validate(flipped, noCrc).IsValid);
        Assert.Equal(CrcMismatch, RecordBatchValidator.Validate(flipped, noCrc with { VerifyCrc = true }).Error);

        byte[] sparse = Batch(Concat(Record(0, 0, null, Utf8("a")), Record(0, 1, null, Utf8("b"))), count: 2, lastOffsetDelta: 5);
        Assert.Equal(InvalidOffsetRange, RecordBatchValidator.Validate(sparse, noCrc).Error);
        byte[] tooMany = Batch(Record(0, 0, null, Utf8("a")), count: 1000, lastOffsetDelta: 999);
        Assert.Equal(InvalidRecordCount, RecordBatchValidator.Validate(tooMany, noCrc).Error);
        Assert.Equal(InvalidRecordCount, RecordBatchValidator.Validate(tooMany, RecordBatchValidationOptions.Default with { VerifyCrc = false }).Error);
    }

    [Fact]
    public void The_size_of_an_entry_is_read_from_its_header_without_the_rest()
    {
        byte[] batch = Batch(Record(0, 0, Utf8("k"), Utf8("v")), count: 1, lastOffsetDelta: 0);
        byte[] header = batch[..RecordBatchHeader.Size];
        Assert.Equal(TruncatedBatch, RecordBatchFraming.TryFrame(header, int.MaxValue, out _, out _).Error);

        var result = RecordBatchFraming.TryReadSize(header, int.MaxValue, out int size, out byte magic);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal((batch.Length, (byte)2), (size, magic));

        Assert.Equal(BatchTooLarge, RecordBatchFraming.TryReadSize(header, batch.Length - 1, out _, out _).Error);
        Assert.Equal(TruncatedHeader, RecordBatchFraming.TryReadSize(header[..16], int.MaxValue, out _, out _).Error);

        byte[] garbage = (byte[])header.Clone();
        garbage[RecordBatchFraming.MagicOffset] = 7;
        Assert.Equal(UnsupportedMagic, RecordBatchFraming.TryReadSize(garbage, int.MaxValue, out _, out _).Error);

        byte[] tiny = (byte[])header.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(tiny.AsSpan(RecordBatchHeader.BatchLengthOffset), RecordBatchFraming.MinimumLengthV2 - 1);
        Assert.Equal(BatchLengthTooSmall, RecordBatchFraming.TryReadSize(tiny, int.MaxValue, out _, out _).Error);
    }
}
