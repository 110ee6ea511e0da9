using System.Globalization;

namespace Gregor.Broker.Groups;

/// <summary>
/// <c>__consumer_offsets</c>: the compacted internal topic where groups and their committed offsets live.
/// A group belongs to one partition, chosen as Kafka chooses it so a group keeps its coordinator whichever
/// broker implementation hosts it.
/// </summary>
public static class OffsetsTopic
{
    public const string Name = "__consumer_offsets";

    /// <summary>Kafka's <c>abs(groupId.hashCode) % partitions</c>, with Java's String.hashCode and Kafka's abs (MIN_VALUE → 0).</summary>
    public static int PartitionFor(string groupId, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        int hash = JavaStringHashCode(groupId);
        int positive = hash == int.MinValue ? 0 : Math.Abs(hash);
        return positive % partitionCount;
    }

    /// <summary>Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, wrapping.</summary>
    public static int JavaStringHashCode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int hash = 0;
        unchecked
        {
            foreach (char c in value)
                hash = 31 * hash + c;
        }
        return hash;
    }

    /// <summary>The topic configs Kafka gives the offsets topic: compacted, producer's compression, its own segment size.</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> TopicConfigs(int segmentBytes) =>
    [
        new("cleanup.policy", "compact"),
        new("compression.type", "producer"),
        new("segment.bytes", segmentBytes.ToString(CultureInfo.InvariantCulture)),
    ];
}
