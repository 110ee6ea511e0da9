using System.Buffers.Binary;
using System.Text;
using Gregor.Broker.Groups;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;
using static Gregor.Broker.Tests.Groups.Coordinators;

namespace Gregor.Broker.Tests.Groups;

/// <summary>
/// Older record versions as a Kafka broker of their day wrote them, assembled byte by byte, are read; bytes that
/// are not a record are refused with <see cref="MalformedMessageException"/>, and a coordinator loading a partition
/// skips them instead of staying stuck.
/// </summary>
public sealed class GroupRecordsTests
{
    private sealed class Bytes
    {
        private readonly List<byte> _b = [];

        public Bytes I16(short v) { Span<byte> s = stackalloc byte[2]; BinaryPrimitives.WriteInt16BigEndian(s, v); _b.AddRange(s.ToArray()); return this; }

        public Bytes I32(int v) { Span<byte> s = stackalloc byte[4]; BinaryPrimitives.WriteInt32BigEndian(s, v); _b.AddRange(s.ToArray()); return this; }

        public Bytes I64(long v) { Span<byte> s = stackalloc byte[8]; BinaryPrimitives.WriteInt64BigEndian(s, v); _b.AddRange(s.ToArray()); return this; }

        public Bytes Str(string? v)
        {
            if (v is null) return I16(-1);
            byte[] u = Encoding.UTF8.GetBytes(v);
            I16((short)u.Length);
            _b.AddRange(u);
            return this;
        }

        public Bytes Blob(byte[] v) { I32(v.Length); _b.AddRange(v); return this; }

        public byte[] ToArray() => [.. _b];
    }

    [Fact]
    public void OffsetValues_v0_to_v2_are_read_with_no_leader_epoch()
    {
        byte[] v0 = new Bytes().I16(0).I64(42).Str("meta").I64(1000).ToArray();
        byte[] v1 = new Bytes().I16(1).I64(42).Str("meta").I64(1000).I64(5000).ToArray();
        byte[] v2 = new Bytes().I16(2).I64(42).Str("").I64(1000).ToArray();
        Assert.Equal(new CommittedOffset(42, -1, "meta", 1000), GroupRecords.ReadOffsetValue(v0));
        Assert.Equal(new CommittedOffset(42, -1, "meta", 1000, 5000), GroupRecords.ReadOffsetValue(v1));
        Assert.Equal(new CommittedOffset(42, -1, "", 1000), GroupRecords.ReadOffsetValue(v2));
    }

    [Fact]
    public void GroupValues_v0_to_v2_are_read()
    {
        byte[] v0 = new Bytes().I16(0).Str("consumer").I32(3).Str("range").Str("m1")
            .I32(1).Str("m1").Str("c1").Str("/10.0.0.1").I32(10000).Blob([1]).Blob([2, 3]).ToArray();
        StoredGroup g0 = GroupRecords.ReadGroupValue(v0);
        Assert.Equal(("consumer", 3, "range", "m1", -1L), (g0.ProtocolType, g0.Generation, g0.ProtocolName, g0.Leader, g0.StateTimestampMs));
        StoredMember m0 = Assert.Single(g0.Members);
        Assert.Equal(("m1", (string?)null, "c1", "/10.0.0.1", 10000, 10000), (m0.MemberId, m0.GroupInstanceId, m0.ClientId, m0.ClientHost, m0.RebalanceTimeoutMs, m0.SessionTimeoutMs));
        Assert.Equal([2, 3], m0.Assignment);

        byte[] v2 = new Bytes().I16(2).Str("consumer").I32(4).Str(null).Str(null).I64(777)
            .I32(1).Str("m1").Str("c1").Str("/h").I32(60000).I32(10000).Blob([]).Blob([]).ToArray();
        StoredGroup g2 = GroupRecords.ReadGroupValue(v2);
        Assert.Equal((4, (string?)null, (string?)null, 777L), (g2.Generation, g2.ProtocolName, g2.Leader, g2.StateTimestampMs));
        Assert.Equal((60000, 10000), (g2.Members[0].RebalanceTimeoutMs, g2.Members[0].SessionTimeoutMs));
    }

    [Fact]
    public void Keys_of_type_0_read_as_offsets_and_unknown_types_are_not_this_coordinators()
    {
        byte[] type0 = new Bytes().I16(0).Str("g").Str("t").I32(9).ToArray();
        Assert.Equal((GroupRecords.OffsetCommitKeyType, "g", "t", 9), GroupRecords.ReadKey(type0));
        Assert.Null(GroupRecords.ReadKey(new Bytes().I16(3).Str("g").ToArray()));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { 0, 1, 0, 5, (byte)'g' })]            // key: string shorter than its length
    [InlineData(new byte[] { 0, 2, 0, 1, (byte)'g', 0 })]         // key: a byte left over
    public void Malformed_keys_are_refused(byte[] key)
    {
        Assert.Throws<MalformedMessageException>(() => GroupRecords.ReadKey(key));
    }

    [Fact]
    public void Malformed_or_unknown_values_are_refused()
    {
        Assert.Throws<MalformedMessageException>(() => GroupRecords.ReadOffsetValue(new Bytes().I16(9).I64(1).ToArray()));
        Assert.Throws<MalformedMessageException>(() => GroupRecords.ReadOffsetValue(new Bytes().I16(3).I64(1).ToArray()));
        Assert.Throws<MalformedMessageException>(() => GroupRecords.ReadGroupValue(new Bytes().I16(3).Str("consumer").I32(1).I32(int.MaxValue).ToArray()));
        // A member count far beyond the bytes present is refused before anything is allocated for it.
        Assert.Throws<MalformedMessageException>(() => GroupRecords.ReadGroupValue(
            new Bytes().I16(3).Str("consumer").I32(1).Str(null).Str(null).I64(0).I32(int.MaxValue).ToArray()));
    }

    [Fact]
    public void A_coordinator_skips_unreadable_records_and_loads_the_rest()
    {
        var log = new MemoryGroupLog();
        var clock = new FakeClock();
        int partition = OffsetsTopic.PartitionFor("g", Config.OffsetsTopicNumPartitions);
        log.Append(partition, [new GroupLogRecord([0, 1, 0, 99], [0, 3])], 0);
        log.Append(partition, [new GroupLogRecord(GroupRecords.OffsetKey("g", "t", 0), [0, 77])], 0);
        log.Append(partition, [new GroupLogRecord(GroupRecords.OffsetKey("g", "t", 1), GroupRecords.OffsetValue(new CommittedOffset(12, 2, "m", 5)))], 0);

        var c = Start(log, clock);

        var fetched = c.FetchOffsets("g", [("t", [0, 1])]);
        Assert.Equal(ErrorCode.None, fetched.Error);
        Assert.Null(fetched.Offsets[0].Offset);
        Assert.Equal(12, fetched.Offsets[1].Offset!.Offset);
    }
}
