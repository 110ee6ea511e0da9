using System.Buffers.Binary;
using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

public class RecordBatchValidatorTests
{
    private static readonly RecordBatchValidationOptions Default = RecordBatchValidationOptions.Default;

    /// <summary>A batch with a bit of everything, so flips and cuts land in every kind of field.</summary>
    private static byte[] SampleBatch()
    {
        using var builder = new RecordBatchBuilder { BaseOffset = 10, PartitionLeaderEpoch = 3, ProducerId = 8, ProducerEpoch = 1, BaseSequence = 4 };
        builder.Append(1000, Utf8("key-1"), Utf8("value-1"), [new RecordHeaderData("h", new byte[] { 1, 2, 3 }), new RecordHeaderData("n", null)]);
        builder.Append(999, null, Utf8("value-2"));
        builder.Append(1003, Utf8("key-3"), null);
        return builder.Build().ToArray();
    }

    private static void AssertDefect(RecordBatchValidationResult result, RecordBatchError error, int position, long? expected = null, long? actual = null)
    {
        Assert.False(result.IsValid);
        Assert.True(error == result.Error, $"wanted {error} at {position}, got {result.Message}");
        Assert.Equal(position, result.Position);
        if (expected is { } e) Assert.Equal(e, result.Expected);
        if (actual is { } a) Assert.Equal(a, result.Actual);
        Assert.Contains($"at byte {position}", result.Message);
        Assert.StartsWith(error.ToString(), result.Message);
    }

    private static RecordBatchValidationResult Validate(byte[] batch, RecordBatchValidationOptions? options = null) =>
        RecordBatchValidator.Validate(batch, options ?? Default);

    [Fact]
    public void Flipping_any_byte_gives_a_framing_or_crc_error_unless_the_byte_is_outside_the_crc()
    {
        var original = SampleBatch();
        Assert.True(Validate(original).IsValid);
        foreach (byte mask in new byte[] { 0x01, 0x10, 0x80, 0xFF })
        {
            for (int i = 0; i < original.Length; i++)
            {
                var batch = (byte[])original.Clone();
                batch[i] ^= mask;
                var result = Validate(batch);
                string where = $"byte {i} ^ 0x{mask:x2}: {result.Message}";
                if (i < 8 || (i >= 12 && i < 16))
                {
                    // Base offset and partition leader epoch: the broker rewrites them, so the CRC leaves them out.
                    Assert.True(result.IsValid, where);
                }
                else if (i < 12)
                {
                    int expectedPosition = result.Error switch
                    {
                        BatchLengthTooSmall or BatchTooLarge => 8,
                        TruncatedBatch => 0,
                        TrailingBytes => BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(8)) + 12,
                        _ => -1,
                    };
                    Assert.True(result.Position == expectedPosition, where);
                }
                else if (i == 16)
                {
                    Assert.True(result.Error == UnsupportedMagic && result.Position == 16, where);
                }
                else
                {
                    Assert.True(result.Error == CrcMismatch && result.Position == 17, where);
                }
            }
        }
    }

    [Fact]
    public void Truncating_at_any_position_gives_a_framing_error()
    {
        var batch = SampleBatch();
        for (int length = 0; length < batch.Length; length++)
        {
            var result = RecordBatchValidator.Validate(batch.AsSpan(0, length), Default);
            if (length < 12)
                AssertDefect(result, TruncatedHeader, 0, 12, length);
            else
                AssertDefect(result, TruncatedBatch, 0, batch.Length, length);

            var all = RecordBatchValidator.ValidateAll(batch.AsSpan(0, length), Default, out int batches, out _);
            if (length == 0)
                Assert.True(all.IsValid && batches == 0);
            else
                Assert.Equal(result, all);
        }
    }

    [Fact]
    public void Framing_defects_are_reported_at_the_length_or_magic()
    {
        var batch = SampleBatch();
        var shortLength = (byte[])batch.Clone();
        BinaryPrimitives.WriteInt32BigEndian(shortLength.AsSpan(8), 13);
        AssertDefect(Validate(shortLength), BatchLengthTooSmall, 8, 14, 13);

        BinaryPrimitives.WriteInt32BigEndian(shortLength.AsSpan(8), 30);
        AssertDefect(Validate(shortLength), BatchLengthTooSmall, 8, 49, 30);

        BinaryPrimitives.WriteInt32BigEndian(shortLength.AsSpan(8), -1);
        AssertDefect(Validate(shortLength), BatchLengthTooSmall, 8, 14, -1);

        AssertDefect(Validate(batch, Default with { MaxBatchBytes = batch.Length - 1 }), BatchTooLarge, 8, batch.Length - 1, batch.Length);
        Assert.True(Validate(batch, Default with { MaxBatchBytes = batch.Length }).IsValid);

        AssertDefect(Validate([.. batch, 1, 2, 3]), TrailingBytes, batch.Length, batch.Length, 3);

        var magic3 = (byte[])batch.Clone();
        magic3[16] = 3;
        AssertDefect(Validate(magic3), UnsupportedMagic, 16, 2, 3);

        var magic1 = (byte[])batch.Clone();
        magic1[16] = 1;
        AssertDefect(Validate(magic1), UnsupportedMagic, 16, 2, 1);
    }

    [Fact]
    public void Crc_mismatch_reports_both_checksums()
    {
        var batch = SampleBatch();
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(batch.AsSpan(17));
        batch[^1] ^= 0x40;
        uint computed = SpecBytes.Crc32C(batch.AsSpan(21));
        AssertDefect(Validate(batch), CrcMismatch, 17, stored, computed);
        Assert.Contains($"0x{stored:x8}", Validate(batch).Message);
    }

    private static readonly byte[] OneRecord = Record(0, 0, Utf8("k"), Utf8("v"));

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Undefined_compression_codecs_are_rejected(short codec) =>
        AssertDefect(Validate(Batch(OneRecord, 1, 0, attributes: codec)), InvalidCompressionCodec, 21, 4, codec);

    [Fact]
    public void Producer_fields_must_agree_with_the_flags()
    {
        AssertDefect(Validate(Batch(OneRecord, 1, 0, attributes: 0x10)), TransactionalWithoutProducerId, 43, 0, -1);
        AssertDefect(Validate(Batch(OneRecord, 1, 0, producerId: 5, producerEpoch: -1)), InvalidProducerEpoch, 51, 5, -1);

        var noSequence = Batch(OneRecord, 1, 0, producerId: 5, producerEpoch: 0, baseSequence: -1);
        Assert.True(Validate(noSequence).IsValid);
        AssertDefect(Validate(noSequence, RecordBatchValidationOptions.ClientProduce), InvalidBaseSequence, 53, 5, -1);

        var control = Batch(Record(0, 0, [0, 0, 0, 1], [0, 0, 0, 0, 0, 1]), 1, 0, attributes: 0x30, producerId: 5, producerEpoch: 0);
        Assert.True(Validate(control).IsValid);
        AssertDefect(Validate(control, RecordBatchValidationOptions.ClientProduce), ControlBatchNotAllowed, 21);
    }

    [Fact]
    public void Record_count_and_offset_range_must_fit_the_section()
    {
        AssertDefect(Validate(Batch(OneRecord, -1, 0)), InvalidRecordCount, 57, 1, -1);
        AssertDefect(Validate(Batch(OneRecord, 2, 1)), InvalidRecordCount, 57, 1, 2);
        AssertDefect(Validate(Batch(OneRecord, int.MaxValue, int.MaxValue - 1)), InvalidRecordCount, 57, 1, int.MaxValue);
        AssertDefect(Validate(Batch([], 0, 0)), InvalidRecordCount, 57, 0, 0);
        AssertDefect(Validate(Batch(OneRecord, 1, 3)), InvalidOffsetRange, 23, 1, 3);
        AssertDefect(Validate(Batch(OneRecord, 1, -1), RecordBatchValidationOptions.StoredLog), InvalidOffsetRange, 23, 1, -1);
    }

    [Fact]
    public void Malformed_record_lengths_are_located()
    {
        AssertDefect(Validate(Batch([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0, 0], 1, 0)), MalformedVarint, 61, 5);
        AssertDefect(Validate(Batch(Concat(ZigZag(100), new byte[7]), 1, 0)), InvalidRecordLength, 61, 7, 100);
        AssertDefect(Validate(Batch(Concat(ZigZag(-5), new byte[7]), 1, 0)), InvalidRecordLength, 61, 7, -5);
    }

    [Fact]
    public void A_record_whose_fields_do_not_fill_its_length_is_reported()
    {
        var body = RecordBody(0, 0, Utf8("k"), Utf8("v"));
        // One spare byte inside the declared length.
        AssertDefect(Validate(Batch(Concat(ZigZag(body.Length + 1), body, [0]), 1, 0)), RecordSizeMismatch, 61, body.Length + 1, body.Length);
        // Declared one byte short: the header count falls outside the record.
        AssertDefect(Validate(Batch(Concat(ZigZag(body.Length - 1), body), 1, 0)), RecordSizeMismatch, 61 + 1 + body.Length - 1, body.Length - 1, body.Length);
    }

    [Fact]
    public void Bad_field_lengths_inside_a_record_are_located()
    {
        static byte[] WithBody(params byte[][] parts)
        {
            var body = Concat(parts);
            return Batch(Concat(ZigZag(body.Length), body, new byte[Math.Max(0, 7 - body.Length)]), 1, 0);
        }
        byte[] head = [0, 0, 0]; // attributes, timestamp delta 0, offset delta 0
        int fieldsAt = 61 + 1 + head.Length;

        // Key length -2 with key, value and header count bytes after it.
        AssertDefect(Validate(WithBody(head, ZigZag(-2), ZigZag(-1), ZigZag(0))), InvalidKeyLength, fieldsAt, 2, -2);
        AssertDefect(Validate(WithBody(head, ZigZag(50), ZigZag(-1), ZigZag(0))), InvalidKeyLength, fieldsAt, 2, 50);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(-3), ZigZag(0))), InvalidValueLength, fieldsAt + 1, 1, -3);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(2), ZigZag(0))), InvalidValueLength, fieldsAt + 1, 1, 2);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(-1), ZigZag(-1))), InvalidHeaderCount, fieldsAt + 2, 0, -1);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(-1), ZigZag(5), ZigZag(0), ZigZag(-1))), InvalidHeaderCount, fieldsAt + 2, 2, 5);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(-1), ZigZag(1), ZigZag(-1), ZigZag(-1))), InvalidHeaderKeyLength, fieldsAt + 3, 1, -1);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(-1), ZigZag(1), ZigZag(3), ZigZag(-1))), InvalidHeaderKeyLength, fieldsAt + 3, 1, 3);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(-1), ZigZag(1), ZigZag(0), ZigZag(-2))), InvalidHeaderValueLength, fieldsAt + 4, 0, -2);
        AssertDefect(Validate(WithBody(head, ZigZag(-1), ZigZag(-1), ZigZag(1), ZigZag(0), ZigZag(4))), InvalidHeaderValueLength, fieldsAt + 4, 0, 4);
        // A timestamp delta varint longer than 10 bytes.
        AssertDefect(Validate(WithBody([0], Enumerable.Repeat((byte)0xFF, 10).ToArray(), [0x01], ZigZag(0), ZigZag(-1), ZigZag(-1), ZigZag(0))),
            MalformedVarint, 61 + 1 + 1, 10);
    }

    [Fact]
    public void Record_count_must_match_the_records_present()
    {
        var first = Record(0, 0, null, new byte[10]);
        var second = Record(0, 1, null, new byte[10]);
        AssertDefect(Validate(Batch(Concat(first, second), 3, 2)), RecordCountMismatch, 61 + first.Length + second.Length, 3, 2);
        AssertDefect(Validate(Batch(Concat(OneRecord, [0, 0]), 1, 0)), TrailingRecordBytes, 61 + OneRecord.Length, 1, 2);
    }

    [Fact]
    public void Offset_deltas_must_be_contiguous_unless_gaps_are_allowed()
    {
        AssertDefect(Validate(Batch(Record(0, 1, null, Utf8("v")), 1, 0)), InvalidOffsetDelta, 61, 0, 1);

        var first = Record(0, 2, null, Utf8("v"));
        var backwards = Batch(Concat(first, Record(0, 1, null, Utf8("v"))), 2, 5);
        AssertDefect(Validate(backwards, RecordBatchValidationOptions.StoredLog), InvalidOffsetDelta, 61 + first.Length, -1, 1);
        var beyondLast = Batch(Concat(first, Record(0, 6, null, Utf8("v"))), 2, 5);
        AssertDefect(Validate(beyondLast, RecordBatchValidationOptions.StoredLog), InvalidOffsetDelta, 61 + first.Length, -1, 6);
        Assert.True(Validate(Batch(Concat(first, Record(0, 5, null, Utf8("v"))), 2, 5), RecordBatchValidationOptions.StoredLog).IsValid);
    }

    [Fact]
    public void Timestamps_that_overflow_are_rejected()
    {
        var batch = Batch(Record(5, 0, null, Utf8("v")), 1, 0, baseTimestamp: long.MaxValue - 1);
        AssertDefect(Validate(batch), TimestampOverflow, 61, long.MaxValue - 1, 5);
    }

    [Fact]
    public void Control_records_must_be_well_formed()
    {
        static byte[] Control(byte[]? key, byte[]? value, int count = 1, short attributes = 0x30)
        {
            var records = count == 1 ? Record(0, 0, key, value) : Concat(Record(0, 0, key, value), Record(0, 1, key, value));
            return Batch(records, count, count - 1, attributes: attributes, producerId: 1, producerEpoch: 0);
        }
        byte[] commit = [0, 0, 0, 1];
        byte[] markerValue = [0, 0, 0, 0, 0, 9];
        Assert.True(Validate(Control(commit, markerValue)).IsValid);

        AssertDefect(Validate(Control([0, 0, 1], markerValue)), InvalidControlRecord, 61, 4, 3);
        AssertDefect(Validate(Control(null, markerValue)), InvalidControlRecord, 61, 4, -1);
        AssertDefect(Validate(Control([0xFF, 0xFF, 0, 1], markerValue)), InvalidControlRecord, 61, 0, -1);
        AssertDefect(Validate(Control([0, 0, 0, 3], markerValue)), InvalidControlRecord, 61, 1, 3);
        AssertDefect(Validate(Control(commit, [0, 0, 0, 0, 9])), InvalidControlRecord, 61, 6, 5);
        AssertDefect(Validate(Control(commit, null)), InvalidControlRecord, 61, 6, -1);
        AssertDefect(Validate(Control(commit, [0x80, 0, 0, 0, 0, 9])), InvalidControlRecord, 61, 0, short.MinValue);
        AssertDefect(Validate(Control(commit, markerValue, count: 2)), InvalidControlRecord, 57, 1, 2);

        // Non-transactional (Raft) control batches may hold other types and several records.
        Assert.True(Validate(Control([0, 0, 0, 3], null, count: 2, attributes: 0x20)).IsValid);
        AssertDefect(Validate(Control([0, 0], null, attributes: 0x20)), InvalidControlRecord, 61, 4, 2);
    }

    [Fact]
    public void Validating_several_batches_locates_a_defect_in_a_later_one()
    {
        var first = SampleBatch();
        var second = SampleBatch();
        var third = SampleBatch();
        third[^1] ^= 1;
        var blob = Concat(first, second, third);

        var result = RecordBatchValidator.ValidateAll(Concat(first, second), Default, out int batches, out long records);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(2, batches);
        Assert.Equal(6, records);

        AssertDefect(RecordBatchValidator.ValidateAll(blob, Default, out batches, out _), CrcMismatch, first.Length + second.Length + 17);
        Assert.Equal(2, batches);

        var badRecord = Batch(Concat(OneRecord, [0, 0]), 1, 0);
        AssertDefect(RecordBatchValidator.ValidateAll(Concat(first, badRecord), Default, out _, out _), TrailingRecordBytes, first.Length + 61 + OneRecord.Length);

        var legacy = LegacyMessage(1, 0, 0, 5, null, Utf8("v"));
        AssertDefect(RecordBatchValidator.ValidateAll(Concat(first, legacy), Default, out _, out _), UnsupportedMagic, first.Length + 16, 2, 1);
    }

    [Fact]
    public void Validating_a_valid_uncompressed_batch_allocates_nothing()
    {
        var batch = SampleBatch();
        var blob = Concat(batch, batch, batch);
        var options = RecordBatchValidationOptions.ClientProduce;
        // Warm up (JIT, statics) before measuring.
        RecordBatchValidator.Validate(batch, options, out _);
        RecordBatchValidator.ValidateAll(blob, options, out _, out _);
        ReadEverything(batch);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(RecordBatchValidator.Validate(batch, options, out _).IsValid);
            Assert.True(RecordBatchValidator.ValidateAll(blob, options, out _, out _).IsValid);
            ReadEverything(batch);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    private static int ReadEverything(ReadOnlySpan<byte> batch)
    {
        int total = 0;
        RecordBatchReader.TryOpen(batch, out var reader);
        using (reader)
        {
            while (reader.TryReadNext(out var record))
            {
                total += record.Key.Length + record.Value.Length;
                foreach (var header in record.Headers) total += header.Key.Length + header.Value.Length;
            }
        }
        return total;
    }
}
