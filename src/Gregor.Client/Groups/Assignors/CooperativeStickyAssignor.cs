using System.Buffers.Binary;

namespace Gregor.Client.Groups;

/// <summary>
/// Kafka's <c>cooperative-sticky</c> strategy: a balanced assignment (counts differ by at most one
/// when all members subscribe alike) that leaves owned partitions where they are as far as balance
/// allows. For KIP-429 a partition that moves is not handed to its new member in the same
/// generation while another member still claims it: it is withheld, the owner revokes it and
/// rejoins, and the following rebalance gives it out. Members' owned partitions come from the
/// subscription (v1+) and their generation from it (v2+), else from the user data: Kafka's own
/// (the generation as an int32) or librdkafka's (its previous assignment, then the generation).
/// </summary>
internal sealed class CooperativeStickyAssignor : IPartitionAssignor
{
    public const string ProtocolName = "cooperative-sticky";

    public string Name => ProtocolName;

    public bool SupportsCooperative => true;

    /// <summary>The generation, as the Java client writes it for leaders that read subscriptions older than v2.</summary>
    public byte[]? SubscriptionUserData(int generationId)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, generationId);
        return bytes;
    }

    public IReadOnlyDictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> members)
    {
        var assignment = StickyAssignment.Assign(partitionsPerTopic, members, GenerationOf, out var claims);
        foreach (var member in members)
        {
            var owned = new HashSet<TopicPartition>(member.OwnedPartitions);
            assignment[member.MemberId].RemoveAll(tp =>
                !owned.Contains(tp) && claims.Claimants.TryGetValue(tp, out var who) && who.Any(id => id != member.MemberId));
        }
        return assignment;
    }

    /// <summary>The generation a member owned its partitions in, -1 when it cannot be told.</summary>
    public static int GenerationOf(MemberSubscription member)
    {
        if (member.GenerationId >= 0) return member.GenerationId;
        var data = member.UserData;
        if (data is null) return -1;
        if (data.Length == 4) return BinaryPrimitives.ReadInt32BigEndian(data);
        return TryReadLibrdkafkaGeneration(data, out int generation) ? generation : -1;
    }

    /// <summary>librdkafka's sticky user data: [topic [partition]] then the generation, nothing after.</summary>
    private static bool TryReadLibrdkafkaGeneration(ReadOnlySpan<byte> data, out int generation)
    {
        generation = -1;
        if (data.Length < 8) return false;
        int topics = BinaryPrimitives.ReadInt32BigEndian(data);
        data = data[4..];
        if (topics < 0 || topics > data.Length / 6) return false;
        for (int t = 0; t < topics; t++)
        {
            if (data.Length < 2) return false;
            int nameLength = BinaryPrimitives.ReadInt16BigEndian(data);
            if (nameLength < 0 || data.Length < 2 + nameLength + 4) return false;
            data = data[(2 + nameLength)..];
            int partitions = BinaryPrimitives.ReadInt32BigEndian(data);
            data = data[4..];
            if (partitions < 0 || partitions > data.Length / 4) return false;
            data = data[(4 * partitions)..];
        }
        if (data.Length != 4) return false;
        generation = BinaryPrimitives.ReadInt32BigEndian(data);
        return true;
    }
}
