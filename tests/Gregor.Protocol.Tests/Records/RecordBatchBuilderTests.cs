using Gregor.Protocol.Records;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

public class RecordBatchBuilderTests
{
    [Fact]
    public void Built_batch_matches_the_bytes_the_format_describes()
    {
        using var builder = new RecordBatchBuilder
        {
            BaseOffset = 42,
            PartitionLeaderEpoch = 7,
            ProducerId = 1234,
            ProducerEpoch = 3,
            BaseSequence = 99,
        };
        builder.Append(1_700_000_000_000, Utf8("key"), Utf8("value"));
        builder.Append(1_699_999_999_990, null, Utf8("v2"), [new RecordHeaderData("h", new byte[] { 1, 2 }), new RecordHeaderData("n", null)]);
        builder.Append(1_700_000_000_005, Utf8("k3"), null);

        var expected = Batch(
            Concat(
                Record(0, 0, Utf8("key"), Utf8("value")),
                Record(-10, 1, null, Utf8("v2"), ("h", [1, 2]), ("n", null)),
                Record(5, 2, Utf8("k3"), null)),
            count: 3, lastOffsetDelta: 2, baseOffset: 42, partitionLeaderEpoch: 7,
            baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_005,
            producerId: 1234, producerEpoch: 3, baseSequence: 99);

        Assert.Equal(expected, builder.Build().ToArray());
    }

    [Fact]
    public void Attribute_bits_follow_the_format()
    {
        using var builder = new RecordBatchBuilder
        {
            TimestampType = TimestampType.LogAppendTime,
            LogAppendTime = 5555,
            IsTransactional = true,
            ProducerId = 1,
            ProducerEpoch = 0,
            BaseSequence = 0,
        };
        builder.Append(10, null, Utf8("x"));
        var expected = Batch(Record(0, 0, null, Utf8("x")), count: 1, lastOffsetDelta: 0, attributes: 0x08 | 0x10,
            baseTimestamp: 10, maxTimestamp: 5555, producerId: 1, producerEpoch: 0, baseSequence: 0);
        Assert.Equal(expected, builder.Build().ToArray());
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        // The CRC-32C check value for the ASCII digits 1..9.
        Assert.Equal(0xE3069283u, Gregor.Protocol.Records.Crc32C.Compute(Utf8("123456789")));
        Assert.Equal(0xE3069283u, SpecBytes.Crc32C(Utf8("123456789")));
    }

    [Fact]
    public void Empty_batch_needs_an_explicit_last_offset_delta()
    {
        using var builder = new RecordBatchBuilder();
        Assert.Throws<InvalidOperationException>(() => builder.Build());
        builder.LastOffsetDelta = 4;
        var batch = builder.Build().ToArray();
        Assert.Equal(Batch([], count: 0, lastOffsetDelta: 4, baseTimestamp: -1, maxTimestamp: -1), batch);
    }

    [Fact]
    public void Offset_deltas_cannot_go_backwards_and_the_base_timestamp_is_fixed_once_records_exist()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1, null, null);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.NextOffsetDelta = 0);
        Assert.Throws<InvalidOperationException>(() => builder.BaseTimestamp = 5);
        builder.LastOffsetDelta = -1;
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    [Fact]
    public void Control_records_need_a_control_batch()
    {
        using var builder = new RecordBatchBuilder();
        Assert.Throws<InvalidOperationException>(() => builder.AppendControlRecord(0, ControlRecordType.LeaderChange, null));
        builder.IsControl = true;
        Assert.Throws<InvalidOperationException>(() => builder.AppendEndTransactionMarker(0, ControlRecordType.Commit, 1));
        builder.IsTransactional = true;
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AppendEndTransactionMarker(0, ControlRecordType.SnapshotHeader, 1));
    }

    [Fact]
    public void Timestamp_too_far_from_the_base_is_rejected()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(long.MinValue, null, null);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Append(long.MaxValue, null, null));
        Assert.Equal(1, builder.Count);
    }

    [Fact]
    public void Reset_starts_a_new_batch_with_the_same_settings()
    {
        using var builder = new RecordBatchBuilder { BaseOffset = 9, ProducerId = 5, ProducerEpoch = 1, BaseSequence = 0 };
        builder.Append(100, Utf8("a"), Utf8("b"));
        builder.Build();
        builder.Reset();
        Assert.Equal(0, builder.Count);
        Assert.Equal(0, builder.NextOffsetDelta);
        builder.Append(200, Utf8("c"), Utf8("d"));
        var expected = Batch(Record(0, 0, Utf8("c"), Utf8("d")), count: 1, lastOffsetDelta: 0, baseOffset: 9,
            baseTimestamp: 200, maxTimestamp: 200, producerId: 5, producerEpoch: 1, baseSequence: 0);
        Assert.Equal(expected, builder.Build().ToArray());
    }
}
