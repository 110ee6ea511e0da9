namespace Gregor.Client.Admin;

/// <summary>A broker of the cluster.</summary>
public class Node
{
    public int Id { get; set; }

    public string Host { get; set; } = "";

    public int Port { get; set; }

    public string? Rack { get; set; }

    /// <summary>
    /// Registered but fenced: its session with the controller expired, or it has not caught up since it registered.
    /// Only DescribeCluster asked with <see cref="DescribeClusterOptions.IncludeFencedBrokers"/> lists fenced brokers.
    /// </summary>
    public bool IsFenced { get; set; }

    public override string ToString() => $"{Id}@{Host}:{Port}";
}

public class DescribeClusterResult
{
    public string? ClusterId { get; set; }

    /// <summary>The node DescribeCluster names as controller, when it is among <see cref="Nodes"/>.</summary>
    public Node? Controller { get; set; }

    public List<Node> Nodes { get; set; } = [];

    /// <summary>
    /// <see cref="Nodes"/> has every registered broker, fenced ones too: fenced brokers were asked for and the broker
    /// answered DescribeCluster v2 or later. False when not asked, or when the broker speaks only v0-1 (then only the
    /// unfenced are listed), or when controllers were described.
    /// </summary>
    public bool IncludesFencedBrokers { get; set; }
}

/// <summary>Brokers and topics as a Metadata request reports them.</summary>
public class Metadata
{
    public List<BrokerMetadata> Brokers { get; set; } = [];

    public List<TopicMetadata> Topics { get; set; } = [];

    public int OriginatingBrokerId { get; set; } = -1;

    public string OriginatingBrokerName { get; set; } = "";
}

public class BrokerMetadata
{
    public int BrokerId { get; set; }

    public string Host { get; set; } = "";

    public int Port { get; set; }
}

public class TopicMetadata
{
    public string Topic { get; set; } = "";

    public List<PartitionMetadata> Partitions { get; set; } = [];

    public Error Error { get; set; } = new(ErrorCode.NoError);

    /// <summary>A topic the cluster keeps for itself (e.g. __consumer_offsets).</summary>
    public bool IsInternal { get; set; }
}

public class PartitionMetadata
{
    public int PartitionId { get; set; }

    public int Leader { get; set; }

    public int[] Replicas { get; set; } = [];

    public int[] InSyncReplicas { get; set; } = [];

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

/// <summary>Which offset ListOffsets looks for: the earliest, the latest, or the first at or after a timestamp.</summary>
public abstract class OffsetSpec
{
    internal abstract long WireTimestamp { get; }

    public static OffsetSpec Earliest() => new Fixed(-2);

    public static OffsetSpec Latest() => new Fixed(-1);

    public static OffsetSpec MaxTimestamp() => new Fixed(-3);

    public static OffsetSpec ForTimestamp(long timestampMs) =>
        timestampMs >= 0 ? new Fixed(timestampMs) : throw new ArgumentOutOfRangeException(nameof(timestampMs), timestampMs, "a timestamp is not negative");

    private sealed class Fixed(long timestamp) : OffsetSpec
    {
        internal override long WireTimestamp => timestamp;
    }
}

public class TopicPartitionOffsetSpec
{
    public TopicPartition TopicPartition { get; set; } = new("", 0);

    public OffsetSpec OffsetSpec { get; set; } = OffsetSpec.Latest();
}

public class ListOffsetsResultInfo
{
    public TopicPartitionOffsetError TopicPartitionOffsetError { get; set; } = new("", 0, Offset.Unset, new Error(ErrorCode.NoError));

    /// <summary>The timestamp of the record found, or -1.</summary>
    public long Timestamp { get; set; } = -1;
}

public class ListOffsetsResult
{
    public List<ListOffsetsResultInfo> ResultInfos { get; set; } = [];
}
