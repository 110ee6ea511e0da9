using System.Globalization;

namespace Gregor.Broker.Replication;

/// <summary>A partition by topic name and index: the key the replica manager hosts logs under.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public override string ToString() => Topic + "-" + Partition.ToString(CultureInfo.InvariantCulture);
}
