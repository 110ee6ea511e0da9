using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

public class LegacyMessageSetTests
{
    // offset 0, length 20, crc, magic 0, attributes 0, key "k", value "hello"; the CRC is zlib's crc32 of magic..value.
    private static readonly byte[] V0Message = System.Convert.FromHexString("000000000000000000000014a4cdab3a0000000000016b0000000568656c6c6f");

    // offset 1, length 27, crc, magic 1, attributes 0, timestamp 1700000000000, null key, value "world".
    private static readonly byte[] V1Message = System.Convert.FromHexString("00000000000000010000001b8284bc7f01000000018bcfe56800ffffffff00000005776f726c64");

    private static readonly RecordBatchValidationOptions Options = RecordBatchValidationOptions.Default;

    [Fact]
    public void Crc32_matches_the_standard_check_value_and_the_known_messages()
    {
        Assert.Equal(0xCBF43926u, Crc32Ieee.Compute(Utf8("123456789")));
        Assert.Equal(0xA4CDAB3Au, Crc32Ieee.Compute(V0Message.AsSpan(16)));
        Assert.Equal(0x8284BC7Fu, Crc32Ieee.Compute(V1Message.AsSpan(16)));
        // The test's own message writer agrees with the known bytes.
        Assert.Equal(V0Message, LegacyMessage(0, 0, 0, 0, Utf8("k"), Utf8("hello")));
        Assert.Equal(V1Message, LegacyMessage(1, 1, 0, 1_700_000_000_000, null, Utf8("world")));
    }

    private static (RecordBatchValidationResult Result, LegacyConversionInfo Info, byte[]? Batch) Convert(byte[] messageSet)
    {
        using var builder = new RecordBatchBuilder();
        var result = LegacyMessageSet.TryConvert(messageSet, builder, Options, out var info);
        return (result, info, result.IsValid ? builder.Build().ToArray() : null);
    }

    [Fact]
    public void V0_and_v1_messages_become_one_v2_batch()
    {
        var (result, info, batch) = Convert(Concat(V0Message, V1Message));
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(2, info.MessageCount);
        Assert.Equal(0, info.SourceMagic);
        Assert.Equal(0, info.SourceCompressionCodecId);
        Assert.Equal(TimestampType.CreateTime, info.SourceTimestampType);

        // v0 has no timestamp: -1, and the base timestamp is the first record's.
        var expected = Batch(
            Concat(Record(0, 0, Utf8("k"), Utf8("hello")), Record(1_700_000_000_001, 1, null, Utf8("world"))),
            count: 2, lastOffsetDelta: 1, baseTimestamp: -1, maxTimestamp: 1_700_000_000_000);
        Assert.Equal(expected, batch);
        Assert.True(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.ClientProduce).IsValid);
    }

    [Fact]
    public void Null_and_empty_keys_and_values_survive_conversion()
    {
        var set = Concat(
            LegacyMessage(1, 0, 0, 10, null, null),
            LegacyMessage(1, 1, 0, 11, [], []),
            LegacyMessage(1, 2, 0x08, 12, Utf8("k"), null));
        var (result, info, batch) = Convert(set);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(TimestampType.LogAppendTime, info.SourceTimestampType);
        var records = RecordBatchRoundTripTests.ReadAll(batch);
        Assert.Equal(3, records.Count);
        Assert.Null(records[0].Key);
        Assert.Null(records[0].Value);
        Assert.Equal(Array.Empty<byte>(), records[1].Key);
        Assert.Equal(Array.Empty<byte>(), records[1].Value);
        Assert.Null(records[2].Value);
        Assert.Equal(new long[] { 10, 11, 12 }, records.Select(r => r.Timestamp));
        Assert.Equal(new long[] { 0, 1, 2 }, records.Select(r => r.Offset));
    }

    [Fact]
    public void A_corrupted_message_is_a_crc_mismatch_at_that_message()
    {
        var set = Concat(V0Message, V1Message);
        set[^1] ^= 0x20;
        var (result, _, _) = Convert(set);
        Assert.Equal(CrcMismatch, result.Error);
        Assert.Equal(V0Message.Length + 12, result.Position);
        Assert.Equal(0x8284BC7Fu, (uint)result.Expected);
        Assert.Equal(SpecBytes.Crc32(set.AsSpan(V0Message.Length + 16)), (uint)result.Actual);
    }

    [Fact]
    public void Bad_field_lengths_are_located()
    {
        byte[] v0Head = [0, 0];
        // Key length -2.
        var result = Convert(LegacyFramed(0, Concat(v0Head, BigEndian(-2), BigEndian(-1)))).Result;
        Assert.Equal((InvalidKeyLength, 18, 4L, -2L), (result.Error, result.Position, result.Expected, result.Actual));
        // Value length beyond the message.
        result = Convert(LegacyFramed(0, Concat(v0Head, BigEndian(-1), BigEndian(3), [1, 2]))).Result;
        Assert.Equal((InvalidValueLength, 22, 2L, 3L), (result.Error, result.Position, result.Expected, result.Actual));
        // A spare byte after the value.
        result = Convert(LegacyFramed(0, Concat(v0Head, BigEndian(-1), BigEndian(1), [1, 2]))).Result;
        Assert.Equal((RecordSizeMismatch, 8, 16L, 15L), (result.Error, result.Position, result.Expected, result.Actual));
        // A v1 message too short for its timestamp.
        result = Convert(LegacyFramed(0, Concat([1, 0], BigEndian(-1), BigEndian(-1)))).Result;
        Assert.Equal((BatchLengthTooSmall, 8, 22L, 14L), (result.Error, result.Position, result.Expected, result.Actual));
    }

    [Fact]
    public void Framing_defects_are_reported_for_every_truncation()
    {
        var set = Concat(V0Message, V1Message);
        for (int length = 1; length < set.Length; length++)
        {
            if (length == V0Message.Length) continue; // a whole message: valid
            var result = Convert(set[..length]).Result;
            int start = length < V0Message.Length ? 0 : V0Message.Length;
            int left = length - start;
            if (left < 12)
                Assert.Equal((TruncatedHeader, start), (result.Error, result.Position));
            else
                Assert.Equal((TruncatedBatch, start), (result.Error, result.Position));
        }
    }

    [Fact]
    public void Wrong_kinds_of_input_are_rejected()
    {
        Assert.Equal(EmptyMessageSet, Convert([]).Result.Error);

        using var builder = new RecordBatchBuilder();
        builder.Append(0, null, Utf8("v2"));
        var v2 = builder.Build().ToArray();
        var result = Convert(Concat(V0Message, v2)).Result;
        Assert.Equal((UnsupportedMagic, V0Message.Length + 16, 1L, 2L), (result.Error, result.Position, result.Expected, result.Actual));

        // zstd (4) and beyond did not exist before v2.
        result = Convert(LegacyMessage(1, 0, 4, 0, null, Utf8("x"))).Result;
        Assert.Equal((InvalidCompressionCodec, 17, 3L, 4L), (result.Error, result.Position, result.Expected, result.Actual));

        // A compressed wrapper needs a value to decompress.
        result = Convert(LegacyMessage(0, 0, 1, 0, null, null)).Result;
        Assert.Equal((MissingWrapperValue, 22), (result.Error, result.Position));

        Assert.Throws<ArgumentException>(() =>
        {
            using var used = new RecordBatchBuilder();
            used.Append(0, null, null);
            LegacyMessageSet.TryConvert(V0Message, used, Options, out _);
        });
    }

    [Fact]
    public void A_message_over_the_size_limit_is_rejected()
    {
        var result = LegacyMessageSet.TryConvert(V1Message, new RecordBatchBuilder(), Options with { MaxBatchBytes = V1Message.Length - 1 }, out _);
        Assert.Equal((BatchTooLarge, 8), (result.Error, result.Position));
    }
}
