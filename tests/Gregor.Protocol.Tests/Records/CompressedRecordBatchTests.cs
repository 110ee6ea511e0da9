using System.Buffers.Binary;
using System.IO.Compression;
using Gregor.Protocol.Compression;
using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

public class CompressedRecordBatchTests
{
    public static TheoryData<CompressionType> Codecs => new(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd);

    private static List<RecordBatchRoundTripTests.Plain> SampleRecords(long baseOffset) => Enumerable.Range(0, 500)
        .Select(i => new RecordBatchRoundTripTests.Plain(baseOffset + i, 1_700_000_000_000 + i, i % 7 == 0 ? null : Utf8($"key-{i % 50}"),
            i % 11 == 0 ? null : Utf8($"value {i} {new string('x', i % 200)}"), i % 3 == 0 ? [("h", Utf8("v")), ("n", null)] : []))
        .ToList();

    private static byte[] Build(CompressionType codec, List<RecordBatchRoundTripTests.Plain> records, Action<RecordBatchBuilder>? configure = null)
    {
        using var builder = new RecordBatchBuilder { BaseOffset = records[0].Offset, Compression = codec };
        configure?.Invoke(builder);
        foreach (var r in records)
            builder.Append(r.Timestamp, r.Key, r.Value, r.Headers.Select(h => new RecordHeaderData(h.Key, h.Value is null ? (ReadOnlyMemory<byte>?)null : h.Value)).ToArray());
        return builder.Build().ToArray();
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compressed_batches_round_trip_and_validate(CompressionType codec)
    {
        var records = SampleRecords(2_000);
        var batch = Build(codec, records);
        var uncompressed = Build(CompressionType.None, records);
        Assert.True(batch.Length < uncompressed.Length / 2, $"{codec}: {batch.Length} vs {uncompressed.Length}");

        var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.ClientProduce, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(codec, info.Compression);
        Assert.Equal(records.Count, info.RecordCount);
        Assert.True(info.RecordsChecked);
        Assert.Equal(records.Max(r => r.Timestamp), info.MaxTimestamp);
        Assert.Equal(codec, new RecordBatch(batch).Compression);

        Assert.Equal(records, RecordBatchRoundTripTests.ReadAll(batch));

        // The records section is exactly the codec's output for the uncompressed section.
        var section = new PooledByteBufferWriter();
        CompressionCodec.Decompress(codec, batch.AsSpan(61), section, 1 << 24);
        Assert.True(section.WrittenSpan.SequenceEqual(uncompressed.AsSpan(61)));
        // Header fields other than attributes and the CRC match the uncompressed batch.
        Assert.True(batch.AsSpan(23, 38).SequenceEqual(uncompressed.AsSpan(23, 38)));
        section.Dispose();
    }

    [Fact]
    public void A_gzip_section_written_by_the_platform_gzip_reads_back()
    {
        var section = Concat(Record(0, 0, Utf8("k"), Utf8("v")), Record(1, 1, null, Utf8("w")));
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(section);
        var batch = Batch(compressed.ToArray(), count: 2, lastOffsetDelta: 1, attributes: 1, baseTimestamp: 10, maxTimestamp: 11);

        Assert.True(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default).IsValid);
        var records = RecordBatchRoundTripTests.ReadAll(batch);
        Assert.Equal(new long[] { 10, 11 }, records.Select(r => r.Timestamp));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Corrupt_compressed_data_fails_at_the_records_section(CompressionType codec)
    {
        var batch = Build(codec, SampleRecords(0));
        // Cut the compressed section short, keeping the framing and CRC consistent.
        var cut = batch[..(61 + (batch.Length - 61) / 2)];
        BinaryPrimitives.WriteInt32BigEndian(cut.AsSpan(8), cut.Length - 12);
        FixCrc(cut);

        var result = RecordBatchValidator.Validate(cut, RecordBatchValidationOptions.Default);
        Assert.Equal(DecompressionFailed, result.Error);
        Assert.Equal(61, result.Position);
        Assert.NotNull(result.Detail);
        Assert.Contains(result.Detail!, result.Message);

        Assert.Equal(DecompressionFailed, RecordBatchReader.TryOpen(cut, out var reader).Error);
        reader.Dispose();
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Decompressing_past_the_limit_fails(CompressionType codec)
    {
        var records = SampleRecords(0);
        var batch = Build(codec, records);
        int sectionSize = Build(CompressionType.None, records).Length - 61;

        var tight = RecordBatchValidationOptions.Default with { MaxDecompressedBytes = sectionSize - 1 };
        var result = RecordBatchValidator.Validate(batch, tight);
        Assert.Equal((DecompressionFailed, 61, (long)(sectionSize - 1)), (result.Error, result.Position, result.Expected));
        Assert.True(RecordBatchValidator.Validate(batch, tight with { MaxDecompressedBytes = sectionSize }).IsValid);

        Assert.Equal(DecompressionFailed, RecordBatchReader.TryOpen(batch, out var reader, sectionSize - 1).Error);
        reader.Dispose();
    }

    [Fact]
    public void A_defect_inside_decompressed_records_is_located_in_both_coordinates()
    {
        var good = Record(0, 0, null, Utf8("value"));
        var section = Concat(good, Record(0, 5, null, Utf8("value")));
        var compressed = new PooledByteBufferWriter();
        CompressionCodec.Compress(CompressionType.Zstd, section, compressed);
        var batch = Batch(compressed.WrittenSpan.ToArray(), count: 2, lastOffsetDelta: 1, attributes: (short)CompressionType.Zstd);
        compressed.Dispose();

        var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default);
        Assert.Equal((InvalidOffsetDelta, 61, good.Length, 1L, 5L), (result.Error, result.Position, result.DecompressedPosition, result.Expected, result.Actual));
        Assert.Contains($"at byte {good.Length} of the data decompressed from byte 61", result.Message);

        var blob = Concat(Build(CompressionType.None, SampleRecords(0)), batch);
        var all = RecordBatchValidator.ValidateAll(blob, RecordBatchValidationOptions.Default, out _, out _);
        Assert.Equal(blob.Length - batch.Length + 61, all.Position);
        Assert.Equal(good.Length, all.DecompressedPosition);
    }

    [Fact]
    public void A_compressed_section_holding_fewer_records_than_declared_is_reported()
    {
        var compressed = new PooledByteBufferWriter();
        CompressionCodec.Compress(CompressionType.Gzip, Record(0, 0, null, Utf8("v")), compressed);
        var batch = Batch(compressed.WrittenSpan.ToArray(), count: 1000, lastOffsetDelta: 999, attributes: 1);
        compressed.Dispose();
        var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default);
        Assert.Equal(RecordCountMismatch, result.Error);
        Assert.Equal(InvalidRecordCount, RecordBatchReader.TryOpen(batch, out var reader).Error);
        reader.Dispose();
    }

    [Fact]
    public void Header_only_validation_skips_decompression()
    {
        var batch = Build(CompressionType.Lz4, SampleRecords(0));
        var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.StoredLog with { CheckCompressedRecords = false }, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.False(info.RecordsChecked);
        Assert.Equal(new RecordBatch(batch).MaxTimestamp, info.MaxTimestamp);
    }

    [Fact]
    public void Compressed_control_batches_validate()
    {
        using var builder = new RecordBatchBuilder { Compression = CompressionType.Snappy, IsControl = true, IsTransactional = true, ProducerId = 1, ProducerEpoch = 0 };
        builder.AppendEndTransactionMarker(5, ControlRecordType.Abort, 3);
        var result = RecordBatchValidator.Validate(builder.Build().Span, RecordBatchValidationOptions.StoredLog, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(ControlRecordType.Abort, info.ControlType);
    }

    [Fact]
    public void Compression_levels_pass_through()
    {
        var records = SampleRecords(0);
        var fast = Build(CompressionType.Zstd, records, b => b.CompressionLevel = 1);
        var strong = Build(CompressionType.Zstd, records, b => b.CompressionLevel = 19);
        Assert.True(strong.Length <= fast.Length);
        Assert.Equal(RecordBatchRoundTripTests.ReadAll(fast), RecordBatchRoundTripTests.ReadAll(strong));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void A_lent_decompression_buffer_holds_the_records_after_the_reader_is_gone_and_is_reused(CompressionType codec)
    {
        using var lent = new PooledByteBufferWriter(16);
        var first = Build(codec, SampleRecords(0));
        var second = Build(codec, SampleRecords(100));
        byte[]? value;
        Assert.True(RecordBatchReader.TryOpen(first, lent, out var reader).IsValid);
        reader.Dispose(); // does not give the lent buffer back
        Assert.True(RecordBatchReader.TryOpen(first, lent, out reader).IsValid);
        using (reader)
        {
            Assert.True(reader.TryReadNext(out _));
            Assert.True(reader.TryReadNext(out var record));
            value = record.Value.ToArray();
        }
        int sectionLength = lent.WrittenCount;
        Assert.Equal(Build(CompressionType.None, SampleRecords(0)).Length - 61, sectionLength);
        Assert.Equal(SampleRecords(0)[1].Value, value);
        Assert.True(lent.WrittenSpan.IndexOf(value) > 0); // the record was read from the lent buffer

        // Opened again, the buffer is cleared first and holds only the new section.
        Assert.True(RecordBatchReader.TryOpen(second, lent, out reader).IsValid);
        reader.Dispose();
        Assert.Equal(Build(CompressionType.None, SampleRecords(100)).Length - 61, lent.WrittenCount);
    }
}
