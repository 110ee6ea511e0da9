using Gregor.Protocol.Compression;
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
        Assert.Equal(CompressionType.None, info.SourceCompression);
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

    // A v1 gzip wrapper (offset 1, timestamp 1700000000002, null key) around two v1 messages with
    // relative offsets 0 and 1: ("a", "x") at 1700000000001 and (null, "yy") at 1700000000002.
    // Written with Python's gzip (mtime 0) and zlib's crc32.
    private static readonly byte[] V1GzipWrapper = System.Convert.FromHexString(
        "0000000000000001000000539ef5326a01010000018bcfe56802ffffffff0000003d1f8b080000000000020363608003897dddb19318810cc6eef34f33c08c44105101950789489c5d96130e57c3f41f08801ca6ca4a0035ed5d5348000000");

    // A v0 gzip wrapper (offset 101) around v0 messages ("k0", "v0") and ("k1", null) at offsets 100 and 101.
    private static readonly byte[] V0GzipWrapper = System.Convert.FromHexString(
        "000000000000006500000045ed1078040001ffffffff000000371f8b0800000000000203636000831420166a9b5ee403e631651b80c832038824432a100b9c699ec9059535fc0f040012848e623a000000");

    [Fact]
    public void Gzip_wrappers_from_known_bytes_convert_to_their_inner_messages()
    {
        var (result, info, batch) = Convert(V1GzipWrapper);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal((2, (byte)1, CompressionType.Gzip), (info.MessageCount, info.SourceMagic, info.SourceCompression));
        var expected = Batch(
            Concat(Record(0, 0, Utf8("a"), Utf8("x")), Record(1, 1, null, Utf8("yy"))),
            count: 2, lastOffsetDelta: 1, baseTimestamp: 1_700_000_000_001, maxTimestamp: 1_700_000_000_002);
        Assert.Equal(expected, batch);

        (result, info, batch) = Convert(Concat(V0GzipWrapper, V1GzipWrapper));
        Assert.True(result.IsValid, result.Message);
        Assert.Equal((4, (byte)0), (info.MessageCount, info.SourceMagic));
        var records = RecordBatchRoundTripTests.ReadAll(batch);
        Assert.Equal(["k0", "k1", "a", null], records.Select(r => r.Key is null ? null : System.Text.Encoding.UTF8.GetString(r.Key)));
        Assert.Null(records[1].Value);
        Assert.Equal(new long[] { -1, -1, 1_700_000_000_001, 1_700_000_000_002 }, records.Select(r => r.Timestamp));
    }

    private static byte[] Wrapper(byte magic, CompressionType codec, long timestamp, byte[] innerSet, byte extraAttributes = 0)
    {
        using var compressed = new PooledByteBufferWriter();
        CompressionCodec.Compress(codec, innerSet, compressed);
        return LegacyMessage(magic, 0, (byte)((byte)codec | extraAttributes), timestamp, null, compressed.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    public void A_log_append_time_wrapper_stamps_its_inner_messages(CompressionType codec)
    {
        var inner = Concat(LegacyMessage(1, 0, 0, 5, null, Utf8("a")), LegacyMessage(1, 1, 0, 6, null, Utf8("b")));
        var (result, info, batch) = Convert(Wrapper(1, codec, 999, inner, extraAttributes: 0x08));
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(TimestampType.LogAppendTime, info.SourceTimestampType);
        Assert.Equal(codec, info.SourceCompression);
        Assert.Equal(new long[] { 999, 999 }, RecordBatchRoundTripTests.ReadAll(batch).Select(r => r.Timestamp));

        (result, _, batch) = Convert(Wrapper(1, codec, 999, inner));
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(new long[] { 5, 6 }, RecordBatchRoundTripTests.ReadAll(batch).Select(r => r.Timestamp));
    }

    [Fact]
    public void Defects_inside_a_wrapper_are_located_in_the_decompressed_data()
    {
        const int valueStart = 34; // v1 wrapper with a null key: value length at 30, value at 34
        var plain = LegacyMessage(1, 0, 0, 5, null, Utf8("a"));

        var nested = Wrapper(1, CompressionType.Gzip, 0, Concat(plain, LegacyMessage(1, 1, 2, 5, null, Utf8("compressed?"))));
        var result = Convert(nested).Result;
        Assert.Equal((NestedCompression, valueStart, plain.Length + 17, 2L), (result.Error, result.Position, result.DecompressedPosition, result.Actual));

        var mixed = Wrapper(1, CompressionType.Gzip, 0, Concat(plain, LegacyMessage(0, 1, 0, 0, null, Utf8("v0"))));
        result = Convert(mixed).Result;
        Assert.Equal((InnerMagicMismatch, valueStart, plain.Length + 16, 1L, 0L), (result.Error, result.Position, result.DecompressedPosition, result.Expected, result.Actual));

        var corruptInner = Concat(plain);
        corruptInner[^1] ^= 1;
        result = Convert(Wrapper(1, CompressionType.Snappy, 0, corruptInner)).Result;
        Assert.Equal((CrcMismatch, valueStart, 12), (result.Error, result.Position, result.DecompressedPosition));

        result = Convert(Wrapper(1, CompressionType.Gzip, 0, plain[..^3])).Result;
        Assert.Equal((TruncatedBatch, valueStart, 0), (result.Error, result.Position, result.DecompressedPosition));

        result = Convert(Wrapper(1, CompressionType.Gzip, 0, [])).Result;
        Assert.Equal((EmptyMessageSet, valueStart), (result.Error, result.Position));

        var garbage = LegacyMessage(1, 0, (byte)CompressionType.Gzip, 0, null, Utf8("not gzip at all"));
        result = Convert(garbage).Result;
        Assert.Equal((DecompressionFailed, valueStart), (result.Error, result.Position));
        Assert.NotNull(result.Detail);

        var bomb = Wrapper(1, CompressionType.Gzip, 0, Concat(Enumerable.Range(0, 100).Select(i => LegacyMessage(1, i, 0, 0, null, new byte[10_000])).ToArray()));
        using var builder = new RecordBatchBuilder();
        result = LegacyMessageSet.TryConvert(bomb, builder, Options with { MaxDecompressedBytes = 100_000 }, out _);
        Assert.Equal((DecompressionFailed, valueStart, 100_000L), (result.Error, result.Position, result.Expected));
    }
}
