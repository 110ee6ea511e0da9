using System.Buffers.Binary;
using Gregor.Broker.Groups.Records;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
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
/// Kafka's tools and the other way round. The layouts are described once, in <c>Schemas/GroupRecords.schema</c>;
/// this class only puts the int16 in front (a key's record type, a value's version) and maps to the
/// coordinator's own types. Offsets are written as v3 (offset, leader epoch, metadata, commit timestamp) and
/// groups as v3 (with static member ids and the time of the last state change); v0-v4 of both are read.
/// </summary>
public static class GroupRecords
{
    public const short OffsetCommitKeyType = 1;
    public const short GroupMetadataKeyType = 2;
    private const short OffsetValueVersion = 3;
    private const short GroupValueVersion = 3;

    public static byte[] OffsetKey(string group, string topic, int partition)
    {
        var key = new OffsetCommitKey { Group = group, Topic = topic, Partition = partition };
        return Framed(OffsetCommitKeyType, key);
    }

    public static byte[] GroupKey(string group)
    {
        var key = new GroupMetadataKey { Group = group };
        return Framed(GroupMetadataKeyType, key);
    }

    public static byte[] OffsetValue(CommittedOffset offset)
    {
        ArgumentNullException.ThrowIfNull(offset);
        var value = new OffsetCommitValue
        {
            Offset = offset.Offset,
            LeaderEpoch = offset.LeaderEpoch,
            Metadata = offset.Metadata,
            CommitTimestamp = offset.CommitTimestampMs,
        };
        return Framed(OffsetValueVersion, value);
    }

    public static byte[] GroupValue(StoredGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var value = new GroupMetadataValue
        {
            ProtocolType = group.ProtocolType,
            Generation = group.Generation,
            Protocol = group.ProtocolName,
            Leader = group.Leader,
            CurrentStateTimestamp = group.StateTimestampMs,
        };
        foreach (StoredMember m in group.Members)
        {
            value.Members.Add(new GroupMetadataValue.MemberMetadata
            {
                MemberId = m.MemberId,
                GroupInstanceId = m.GroupInstanceId,
                ClientId = m.ClientId,
                ClientHost = m.ClientHost,
                RebalanceTimeout = m.RebalanceTimeoutMs,
                SessionTimeout = m.SessionTimeoutMs,
                Subscription = m.Subscription,
                Assignment = m.Assignment,
            });
        }
        return Framed(GroupValueVersion, value);
    }

    /// <summary>What a key is: an offset (group, topic, partition), a group (group, "", -1), or another type (null).</summary>
    public static (short Type, string Group, string Topic, int Partition)? ReadKey(ReadOnlyMemory<byte> key)
    {
        short type = ReadPrefix(key.Span, "key");
        switch (type)
        {
            case 0 or OffsetCommitKeyType:
                var offset = OffsetCommitKey.Deserialize(key[2..], type);
                return (OffsetCommitKeyType, offset.Group, offset.Topic, offset.Partition);
            case GroupMetadataKeyType:
                return (GroupMetadataKeyType, GroupMetadataKey.Deserialize(key[2..], type).Group, "", -1);
            default:
                return null; // records of the newer consumer protocol, transactions' etc.: not this coordinator's
        }
    }

    public static CommittedOffset ReadOffsetValue(ReadOnlyMemory<byte> value)
    {
        short version = ReadPrefix(value.Span, "offset commit value");
        if (version < OffsetCommitValue.LowestSupportedVersion || version > OffsetCommitValue.HighestSupportedVersion)
            throw new MalformedMessageException($"Unknown offset commit value version {version}.");
        var v = OffsetCommitValue.Deserialize(value[2..], version);
        return new CommittedOffset(v.Offset, v.LeaderEpoch, v.Metadata, v.CommitTimestamp, v.ExpireTimestamp);
    }

    public static StoredGroup ReadGroupValue(ReadOnlyMemory<byte> value)
    {
        short version = ReadPrefix(value.Span, "group metadata value");
        if (version < GroupMetadataValue.LowestSupportedVersion || version > GroupMetadataValue.HighestSupportedVersion)
            throw new MalformedMessageException($"Unknown group metadata value version {version}.");
        var v = GroupMetadataValue.Deserialize(value[2..], version);
        var members = new List<StoredMember>(v.Members.Count);
        foreach (var m in v.Members)
        {
            // v0 has one timeout, used for both.
            int rebalanceTimeout = version == 0 ? m.SessionTimeout : m.RebalanceTimeout;
            members.Add(new StoredMember(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost, rebalanceTimeout, m.SessionTimeout,
                m.Subscription, m.Assignment));
        }
        return new StoredGroup(v.ProtocolType, v.Generation, v.Protocol, v.Leader, v.CurrentStateTimestamp, members);
    }

    private static short ReadPrefix(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length < 2) throw new MalformedMessageException($"A {what} of {bytes.Length} bytes has no type or version.");
        return BinaryPrimitives.ReadInt16BigEndian(bytes);
    }

    /// <summary>The int16 prefix, then the body written at that version, in one exactly sized array.</summary>
    private static byte[] Framed<T>(short prefix, T body)
        where T : IProtocolStruct
    {
        int bodySize = body.Size(prefix);
        var buffer = new byte[2 + bodySize];
        BinaryPrimitives.WriteInt16BigEndian(buffer, prefix);
        var writer = new ProtocolWriter(buffer.AsSpan(2));
        body.Write(ref writer, prefix);
        if (writer.Position != bodySize)
            throw new InvalidOperationException($"{typeof(T).Name} v{prefix} wrote {writer.Position} bytes but sized {bodySize}.");
        return buffer;
    }
}
