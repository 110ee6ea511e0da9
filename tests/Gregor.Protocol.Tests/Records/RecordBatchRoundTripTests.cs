using System.Text;
using Gregor.Protocol.Compression;
using Gregor.Protocol.Records;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

public class RecordBatchRoundTripTests
{
    /// <summary>A record as plain data, for comparing what was written with what was read.</summary>
    internal sealed record Plain(long Offset, long Timestamp, byte[]? Key, byte[]? Value, (string Key, byte[]? Value)[] Headers)
    {
        public bool Equals(Plain? other) =>
            other is not null && Offset == other.Offset && Timestamp == other.Timestamp
            && SameBytes(Key, other.Key) && SameBytes(Value, other.Value)
            && Headers.Length == other.Headers.Length
            && Headers.Zip(other.Headers).All(p => p.First.Key == p.Second.Key && SameBytes(p.First.Value, p.Second.Value));

        public override int GetHashCode() => HashCode.Combine(Offset, Timestamp);

        private static bool SameBytes(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
    }

    internal static List<Plain> ReadAll(ReadOnlySpan<byte> batch)
    {
        var result = RecordBatchReader.TryOpen(batch, out var reader);
        Assert.True(result.IsValid, result.Message);
        using (reader)
        {
            var records = new List<Plain>();
            while (reader.TryReadNext(out var record))
            {
                var headers = new List<(string, byte[]?)>();
                foreach (var header in record.Headers)
                    headers.Add((header.KeyString, header.Value.ToArray()));
                records.Add(new Plain(record.Offset, record.Timestamp, record.Key.ToArray(), record.Value.ToArray(), [.. headers]));
            }
            Assert.True(reader.Error.IsValid, reader.Error.Message);
            Assert.Equal(0, reader.RecordsLeft);
            return records;
        }
    }

    private static byte[] Build(RecordBatchBuilder builder, IEnumerable<Plain> records)
    {
        foreach (var r in records)
        {
            var headers = r.Headers.Select(h => new RecordHeaderData(h.Key, h.Value is null ? (ReadOnlyMemory<byte>?)null : h.Value)).ToArray();
            builder.Append(r.Timestamp, r.Key, r.Value, headers);
        }
        return builder.Build().ToArray();
    }

    public static TheoryData<string> Shapes => new(ShapeRecords.Keys);

    private static readonly Dictionary<string, Func<long, List<Plain>>> ShapeRecords = new()
    {
        ["single"] = b => [new(b, 1000, Utf8("k"), Utf8("v"), [])],
        ["null key"] = b => [new(b, 1000, null, Utf8("v"), [])],
        ["tombstone"] = b => [new(b, 1000, Utf8("k"), null, [])],
        ["both null"] = b => [new(b, 1000, null, null, [])],
        ["empty key and value"] = b => [new(b, 1000, [], [], [])],
        ["headers"] = b => [new(b, 1000, Utf8("k"), Utf8("v"), [("trace-id", Utf8("abc")), ("empty", []), ("null", null), ("ünïcødé", Utf8("✓"))])],
        ["duplicate header keys"] = b => [new(b, 1000, null, Utf8("v"), [("a", Utf8("1")), ("a", Utf8("2"))])],
        ["large value"] = b => [new(b, 1000, Utf8("big"), Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 31)).ToArray(), [])],
        ["large key and header"] = b => [new(b, 1000, new byte[70_000], Utf8("v"), [(new string('h', 300), new byte[20_000])])],
        ["timestamps out of order"] = b => [
            new(b, 5000, null, Utf8("a"), []), new(b + 1, 100, null, Utf8("b"), []), new(b + 2, 9000, null, Utf8("c"), []), new(b + 3, -1, null, Utf8("d"), [])],
        ["many records"] = b => Enumerable.Range(0, 10_000)
            .Select(i => new Plain(b + i, 1_700_000_000_000 + i * 7, i % 3 == 0 ? null : Utf8($"key-{i}"), i % 5 == 0 ? null : Utf8($"value-{i}"),
                i % 4 == 0 ? [("i", Utf8(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))] : []))
            .ToList(),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Records_read_back_as_written_and_the_batch_validates(string shape)
    {
        const long baseOffset = 1_000_000;
        var records = ShapeRecords[shape](baseOffset);
        using var builder = new RecordBatchBuilder { BaseOffset = baseOffset };
        var batch = Build(builder, records);

        var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(records.Count, info.RecordCount);
        Assert.Equal(records.Count - 1, info.LastOffsetDelta);
        Assert.Equal(batch.Length, info.TotalSize);
        Assert.Equal(records.Max(r => r.Timestamp), info.MaxTimestamp);
        Assert.True(info.RecordsChecked);
        Assert.True(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.ClientProduce).IsValid);

        Assert.Equal(records, ReadAll(batch));
    }

    [Fact]
    public void Foreach_reads_the_same_records_as_TryReadNext()
    {
        using var builder = new RecordBatchBuilder { BaseOffset = 5 };
        for (int i = 0; i < 20; i++) builder.Append(100 + i, Utf8($"k{i}"), Utf8($"v{i}"));
        var batch = builder.Build().ToArray();

        Assert.True(RecordBatchReader.TryOpen(batch, out var reader).IsValid);
        using (reader)
        {
            int i = 0;
            foreach (var record in reader)
            {
                Assert.Equal(5 + i, record.Offset);
                Assert.Equal(i, record.OffsetDelta);
                Assert.Equal(100 + i, record.Timestamp);
                Assert.Equal($"v{i}", Encoding.UTF8.GetString(record.Value.Span));
                i++;
            }
            Assert.Equal(20, i);
        }
    }

    [Fact]
    public void Idempotent_and_transactional_fields_round_trip()
    {
        using var builder = new RecordBatchBuilder
        {
            BaseOffset = 77,
            PartitionLeaderEpoch = 12,
            ProducerId = 987_654_321_000,
            ProducerEpoch = 32_000,
            BaseSequence = int.MaxValue - 1,
            IsTransactional = true,
        };
        builder.Append(1, Utf8("a"), Utf8("b"));
        builder.Append(2, Utf8("c"), Utf8("d"));
        builder.Append(3, Utf8("e"), Utf8("f"));
        var bytes = builder.Build().ToArray();

        var result = RecordBatchValidator.Validate(bytes, RecordBatchValidationOptions.ClientProduce, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.True(info.IsTransactional);
        Assert.False(info.IsControl);
        Assert.Equal(987_654_321_000, info.ProducerId);
        Assert.Equal((short)32_000, info.ProducerEpoch);
        Assert.Equal(int.MaxValue - 1, info.BaseSequence);

        var batch = new RecordBatch(bytes);
        Assert.Equal(77, batch.BaseOffset);
        Assert.Equal(79, batch.LastOffset);
        Assert.Equal(12, batch.PartitionLeaderEpoch);
        Assert.Equal(2, batch.Magic);
        Assert.True(batch.IsTransactional);
        Assert.True(batch.HasProducerId);
        Assert.Equal(CompressionType.None, batch.Compression);
        Assert.Equal(TimestampType.CreateTime, batch.TimestampType);
        // Sequences wrap from int.MaxValue to 0, as Kafka's do.
        Assert.Equal(0, batch.LastSequence);
        Assert.Equal(3, batch.MaxTimestamp);
        Assert.Equal(1, batch.BaseTimestamp);
    }

    [Fact]
    public void Log_append_time_batches_give_every_record_the_append_time()
    {
        using var builder = new RecordBatchBuilder { TimestampType = TimestampType.LogAppendTime, LogAppendTime = 777 };
        builder.Append(1, null, Utf8("a"));
        builder.Append(5, null, Utf8("b"));
        var batch = builder.Build().ToArray();

        Assert.True(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default, out var info).IsValid);
        Assert.Equal(TimestampType.LogAppendTime, info.TimestampType);
        Assert.Equal(777, info.MaxTimestamp);
        Assert.All(ReadAll(batch), r => Assert.Equal(777, r.Timestamp));
    }

    [Fact]
    public void End_transaction_markers_round_trip()
    {
        foreach (var marker in new[] { ControlRecordType.Commit, ControlRecordType.Abort })
        {
            using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true, ProducerId = 44, ProducerEpoch = 2 };
            builder.AppendEndTransactionMarker(123, marker, coordinatorEpoch: 17);
            var batch = builder.Build().ToArray();

            var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.StoredLog, out var info);
            Assert.True(result.IsValid, result.Message);
            Assert.True(info.IsControl);
            Assert.Equal(marker, info.ControlType);
            Assert.Equal(RecordBatchError.ControlBatchNotAllowed, RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.ClientProduce).Error);

            Assert.True(RecordBatchReader.TryOpen(batch, out var reader).IsValid);
            using (reader)
            {
                Assert.True(reader.TryReadNext(out var record));
                Assert.True(ControlRecord.TryReadKey(record.Key.Span, out short keyVersion, out var type));
                Assert.Equal(0, keyVersion);
                Assert.Equal(marker, type);
                Assert.True(ControlRecord.TryReadEndTransactionMarkerValue(record.Value.Span, out short valueVersion, out int epoch));
                Assert.Equal(0, valueVersion);
                Assert.Equal(17, epoch);
                Assert.False(reader.TryReadNext(out _));
            }

            // The bytes the format gives: key (version 0, type), value (version 0, epoch 17).
            short typeId = (short)marker;
            var expected = Batch(Record(0, 0, [0, 0, 0, (byte)typeId], [0, 0, 0, 0, 0, 17]), count: 1, lastOffsetDelta: 0,
                attributes: 0x10 | 0x20, baseTimestamp: 123, maxTimestamp: 123, producerId: 44, producerEpoch: 2);
            Assert.Equal(expected, batch);
        }
    }

    [Fact]
    public void Raft_control_batches_need_not_be_transactional()
    {
        using var builder = new RecordBatchBuilder { IsControl = true };
        builder.AppendControlRecord(5, ControlRecordType.KRaftVersion, Utf8("payload-1"));
        builder.AppendControlRecord(5, ControlRecordType.KRaftVoters, Utf8("payload-2"));
        var batch = builder.Build().ToArray();

        var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(ControlRecordType.KRaftVersion, info.ControlType);
        var records = ReadAll(batch);
        Assert.Equal(2, records.Count);
        Assert.Equal([0, 0, 0, 6], records[1].Key);
    }

    [Fact]
    public void Compacted_batches_keep_gaps_that_only_the_stored_log_profile_accepts()
    {
        using var builder = new RecordBatchBuilder { BaseOffset = 100 };
        builder.Append(10, Utf8("a"), Utf8("1"));
        builder.NextOffsetDelta = 3;
        builder.Append(13, Utf8("b"), Utf8("2"));
        builder.NextOffsetDelta = 7;
        builder.Append(17, Utf8("c"), null);
        builder.LastOffsetDelta = 9;
        var batch = builder.Build().ToArray();

        var result = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.StoredLog, out var info);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(9, info.LastOffsetDelta);
        Assert.Equal(3, info.RecordCount);
        Assert.Equal(new long[] { 100, 103, 107 }, ReadAll(batch).Select(r => r.Offset));

        var strict = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default);
        Assert.Equal(RecordBatchError.InvalidOffsetRange, strict.Error);
        Assert.Equal(RecordBatchHeader.LastOffsetDeltaOffset, strict.Position);
    }

    [Fact]
    public void An_empty_compacted_batch_is_valid_only_for_the_stored_log()
    {
        using var builder = new RecordBatchBuilder { ProducerId = 3, ProducerEpoch = 0, BaseSequence = 10, LastOffsetDelta = 4 };
        var batch = builder.Build().ToArray();
        Assert.True(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.StoredLog).IsValid);
        var strict = RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.Default);
        Assert.Equal(RecordBatchError.InvalidRecordCount, strict.Error);
        Assert.Equal(RecordBatchHeader.RecordsCountOffset, strict.Position);
        Assert.Empty(ReadAll(batch));
    }

    [Fact]
    public void Records_copied_through_the_reader_give_identical_bytes()
    {
        using var original = new RecordBatchBuilder { BaseOffset = 3 };
        original.Append(50, Utf8("k1"), Utf8("v1"), [new RecordHeaderData("h1", new byte[] { 9 }), new RecordHeaderData("h2", null)]);
        original.Append(40, null, null);
        original.Append(60, Utf8("k3"), Utf8(""), [new RecordHeaderData("", new byte[] { })]);
        var source = original.Build().ToArray();

        using var copy = new RecordBatchBuilder { BaseOffset = 3 };
        Assert.True(RecordBatchReader.TryOpen(source, out var reader).IsValid);
        using (reader)
        {
            while (reader.TryReadNext(out var record))
                copy.Append(record.Timestamp, record.Key, record.Value, record.Headers);
        }
        Assert.Equal(source, copy.Build().ToArray());
    }

    [Fact]
    public void Delete_horizon_sets_the_base_timestamp_and_the_attribute()
    {
        using var builder = new RecordBatchBuilder { HasDeleteHorizon = true, BaseTimestamp = 5_000 };
        builder.Append(4_000, Utf8("k"), null);
        var batch = builder.Build().ToArray();
        var view = new RecordBatch(batch);
        Assert.True(view.HasDeleteHorizon);
        Assert.Equal(5_000, view.BaseTimestamp);
        Assert.Equal(4_000, view.MaxTimestamp);
        Assert.Equal(4_000, ReadAll(batch)[0].Timestamp);
        Assert.True(RecordBatchValidator.Validate(batch, RecordBatchValidationOptions.StoredLog).IsValid);
    }
}
