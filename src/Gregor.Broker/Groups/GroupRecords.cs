using System.Buffers.Binary;
using System.Text;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.Groups;

/// <summary>A committed offset as the coordinator keeps it.</summary>
public sealed record CommittedOffset(long Offset, int LeaderEpoch, string Metadata, long CommitTimestampMs, long ExpireTimestampMs = -1);

/// <summary>A member as stored in a group metadata record.</summary>
public sealed record StoredMember(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost,
    int RebalanceTimeoutMs, int SessionTimeoutMs, byte[] Subscription, byte[] Assignment);

/// <summary>A group as stored in a group metadata record.</summary>
public sealed record StoredGroup(string ProtocolType, int Generation, string? ProtocolName, string? Leader, long StateTimestampMs,
    IReadOnlyList<StoredMember> Members);

/// <summary>One record of <c>__consumer_offsets</c>: a key and a value (null: a tombstone).</summary>
public sealed record GroupLogRecord(byte[] Key, byte[]? Value);

/// <summary>
/// The key and value formats of <c>__consumer_offsets</c>, as Kafka writes them, so the topic is readable by
/// Kafka's tools and the other way round. A key starts with its record type (as an int16): 0 or 1 an offset
/// commit (group, topic, partition), 2 a group's metadata (group). Values start with their version: offsets
/// are written as v3 (offset, leader epoch, metadata, commit timestamp) and groups as v3 (with static member
/// ids and the time of the last state change); v0-v4 of both are read.
/// </summary>
public static class GroupRecords
{
    public const short OffsetCommitKeyType = 1;
    public const short GroupMetadataKeyType = 2;
    private const short OffsetValueVersion = 3;
    private const short GroupValueVersion = 3;
    private const short FirstFlexibleVersion = 4;

    public static byte[] OffsetKey(string group, string topic, int partition)
    {
        var w = new Writer();
        w.Int16(OffsetCommitKeyType);
        w.String(group);
        w.String(topic);
        w.Int32(partition);
        return w.ToArray();
    }

    public static byte[] GroupKey(string group)
    {
        var w = new Writer();
        w.Int16(GroupMetadataKeyType);
        w.String(group);
        return w.ToArray();
    }

    public static byte[] OffsetValue(CommittedOffset offset)
    {
        ArgumentNullException.ThrowIfNull(offset);
        var w = new Writer();
        w.Int16(OffsetValueVersion);
        w.Int64(offset.Offset);
        w.Int32(offset.LeaderEpoch);
        w.String(offset.Metadata);
        w.Int64(offset.CommitTimestampMs);
        return w.ToArray();
    }

    public static byte[] GroupValue(StoredGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var w = new Writer();
        w.Int16(GroupValueVersion);
        w.String(group.ProtocolType);
        w.Int32(group.Generation);
        w.String(group.ProtocolName);
        w.String(group.Leader);
        w.Int64(group.StateTimestampMs);
        w.Int32(group.Members.Count);
        foreach (StoredMember m in group.Members)
        {
            w.String(m.MemberId);
            w.String(m.GroupInstanceId);
            w.String(m.ClientId);
            w.String(m.ClientHost);
            w.Int32(m.RebalanceTimeoutMs);
            w.Int32(m.SessionTimeoutMs);
            w.Bytes(m.Subscription);
            w.Bytes(m.Assignment);
        }
        return w.ToArray();
    }

    /// <summary>What a key is: an offset (group, topic, partition), a group (group, "", -1), or another type (null).</summary>
    public static (short Type, string Group, string Topic, int Partition)? ReadKey(ReadOnlyMemory<byte> key)
    {
        var r = new ProtocolReader(key);
        short type = r.ReadInt16();
        switch (type)
        {
            case 0 or OffsetCommitKeyType:
                string group = r.ReadRequiredString(false);
                string topic = r.ReadRequiredString(false);
                int partition = r.ReadInt32();
                return (OffsetCommitKeyType, group, topic, partition);
            case GroupMetadataKeyType:
                return (GroupMetadataKeyType, r.ReadRequiredString(false), "", -1);
            default:
                return null; // records of the newer consumer protocol, transactions' etc.: not this coordinator's
        }
    }

    public static CommittedOffset ReadOffsetValue(ReadOnlyMemory<byte> value)
    {
        var r = new ProtocolReader(value);
        short version = r.ReadInt16();
        if (version is < 0 or > FirstFlexibleVersion)
            throw new MalformedMessageException($"Unknown offset commit value version {version}.");
        bool compact = version >= FirstFlexibleVersion;
        long offset = r.ReadInt64();
        int epoch = version >= 3 ? r.ReadInt32() : -1;
        string metadata = r.ReadRequiredString(compact);
        long commitTimestamp = r.ReadInt64();
        long expireTimestamp = version == 1 ? r.ReadInt64() : -1;
        return new CommittedOffset(offset, epoch, metadata, commitTimestamp, expireTimestamp);
    }

    public static StoredGroup ReadGroupValue(ReadOnlyMemory<byte> value)
    {
        var r = new ProtocolReader(value);
        short version = r.ReadInt16();
        if (version is < 0 or > FirstFlexibleVersion)
            throw new MalformedMessageException($"Unknown group metadata value version {version}.");
        bool compact = version >= FirstFlexibleVersion;
        string protocolType = r.ReadRequiredString(compact);
        int generation = r.ReadInt32();
        string? protocol = r.ReadString(compact, nullable: true);
        string? leader = r.ReadString(compact, nullable: true);
        long stateTimestamp = version >= 2 ? r.ReadInt64() : -1;
        int count = r.ReadArrayLength(compact, nullable: false, minElementSize: 16);
        var members = new List<StoredMember>(count);
        for (int i = 0; i < count; i++)
        {
            string memberId = r.ReadRequiredString(compact);
            string? instanceId = version >= 3 ? r.ReadString(compact, nullable: true) : null;
            string clientId = r.ReadRequiredString(compact);
            string clientHost = r.ReadRequiredString(compact);
            int rebalanceTimeout = r.ReadInt32();
            int sessionTimeout = version >= 1 ? r.ReadInt32() : rebalanceTimeout;
            if (version == 0)
                rebalanceTimeout = sessionTimeout;
            byte[] subscription = r.ReadBytes(compact, nullable: false)!;
            byte[] assignment = r.ReadBytes(compact, nullable: false)!;
            if (compact)
                SkipTaggedFields(ref r);
            members.Add(new StoredMember(memberId, instanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment));
        }
        return new StoredGroup(protocolType, generation, protocol, leader, stateTimestamp, members);
    }

    private static void SkipTaggedFields(ref ProtocolReader r)
    {
        int count = r.ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            r.ReadUnsignedVarint();
            r.Skip(r.ReadTaggedFieldSize());
        }
    }

    /// <summary>A growing big-endian buffer for the few small records the coordinator writes.</summary>
    private sealed class Writer
    {
        private byte[] _buffer = new byte[64];
        private int _length;

        public void Int16(short v) => BinaryPrimitives.WriteInt16BigEndian(Take(2), v);

        public void Int32(int v) => BinaryPrimitives.WriteInt32BigEndian(Take(4), v);

        public void Int64(long v) => BinaryPrimitives.WriteInt64BigEndian(Take(8), v);

        public void String(string? v)
        {
            if (v is null)
            {
                Int16(-1);
                return;
            }
            int length = Encoding.UTF8.GetByteCount(v);
            if (length > short.MaxValue)
                throw new ArgumentException($"A string of {length} bytes does not fit an int16 length.", nameof(v));
            Int16((short)length);
            Encoding.UTF8.GetBytes(v, Take(length));
        }

        public void Bytes(byte[] v)
        {
            Int32(v.Length);
            v.CopyTo(Take(v.Length));
        }

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        private Span<byte> Take(int count)
        {
            if (_length + count > _buffer.Length)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            Span<byte> span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }
}
