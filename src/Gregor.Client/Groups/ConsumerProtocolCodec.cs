using System.Buffers.Binary;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Client.Groups;

/// <summary>
/// The consumer protocol's bytes inside JoinGroup and SyncGroup: an int16 version, then the
/// subscription or assignment body of that version. This member writes version 3 (topics, user
/// data, owned partitions, generation, rack). A body of a newer version than this client knows is
/// read as the newest it knows and the rest ignored, since versions only append fields; that is how
/// Kafka's clients read each other across releases.
/// </summary>
internal static class ConsumerProtocolCodec
{
    public const short HighestVersion = ConsumerProtocolSubscription.HighestSupportedVersion;

    public static byte[] Write(ConsumerProtocolSubscription subscription) =>
        Framed(HighestVersion, subscription.Size(HighestVersion), subscription);

    public static byte[] Write(ConsumerProtocolAssignment assignment) =>
        Framed(HighestVersion, assignment.Size(HighestVersion), assignment);

    private static byte[] Framed(short version, int size, IProtocolStruct body)
    {
        var bytes = new byte[2 + size];
        BinaryPrimitives.WriteInt16BigEndian(bytes, version);
        var writer = new ProtocolWriter(bytes.AsSpan(2));
        body.Write(ref writer, version);
        return bytes;
    }

    /// <summary>Reads a member's subscription; malformed bytes throw <see cref="MalformedMessageException"/>.</summary>
    public static ConsumerProtocolSubscription ReadSubscription(ReadOnlyMemory<byte> bytes)
    {
        var reader = new ProtocolReader(bytes);
        short version = ReadVersion(ref reader);
        return ConsumerProtocolSubscription.Read(ref reader, version);
    }

    /// <summary>Reads an assignment; no bytes at all (a member the leader left out) is an empty one.</summary>
    public static ConsumerProtocolAssignment ReadAssignment(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length == 0) return new ConsumerProtocolAssignment();
        var reader = new ProtocolReader(bytes);
        short version = ReadVersion(ref reader);
        return ConsumerProtocolAssignment.Read(ref reader, version);
    }

    private static short ReadVersion(ref ProtocolReader reader)
    {
        short version = reader.ReadInt16();
        if (version < 0) throw new MalformedMessageException($"consumer protocol version {version} is negative");
        return Math.Min(version, HighestVersion);
    }

    /// <summary>The leader's view of a member from its JoinGroup entry.</summary>
    public static MemberSubscription ToMember(string memberId, string? groupInstanceId, ConsumerProtocolSubscription subscription) =>
        new(memberId, groupInstanceId, subscription.Topics,
            [.. subscription.OwnedPartitions.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p)))],
            subscription.GenerationId, subscription.RackId, subscription.UserData);

    /// <summary>The assignment body for a member's partitions, grouped by topic in ordinal order.</summary>
    public static ConsumerProtocolAssignment ToAssignment(IEnumerable<TopicPartition> partitions) => new()
    {
        AssignedPartitions = [.. Grouped(partitions).Select(g => new ConsumerProtocolAssignment.TopicPartitions { Topic = g.Key, Partitions = g.Value })],
    };

    /// <summary>Owned partitions for a subscription body, grouped by topic in ordinal order.</summary>
    public static List<ConsumerProtocolSubscription.TopicPartitions> ToOwned(IEnumerable<TopicPartition> partitions) =>
        [.. Grouped(partitions).Select(g => new ConsumerProtocolSubscription.TopicPartitions { Topic = g.Key, Partitions = g.Value })];

    public static List<TopicPartition> PartitionsOf(ConsumerProtocolAssignment assignment) =>
        [.. assignment.AssignedPartitions.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p))).Distinct()];

    private static SortedDictionary<string, List<int>> Grouped(IEnumerable<TopicPartition> partitions)
    {
        var byTopic = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var tp in partitions)
        {
            if (!byTopic.TryGetValue(tp.Topic, out var list)) byTopic[tp.Topic] = list = [];
            list.Add(tp.Partition.Value);
        }
        foreach (var list in byTopic.Values) list.Sort();
        return byTopic;
    }
}
