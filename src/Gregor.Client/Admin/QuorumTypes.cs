namespace Gregor.Client.Admin;

/// <summary>
/// The KRaft metadata quorum as its leader reports it (DescribeQuorum), what Kafka's admin client calls
/// describeMetadataQuorum: the leader, its epoch and high watermark, and each voter's and observer's progress.
/// </summary>
public class QuorumInfo
{
    public int LeaderId { get; set; } = -1;

    public int LeaderEpoch { get; set; } = -1;

    public long HighWatermark { get; set; } = -1;

    public List<QuorumReplicaState> Voters { get; set; } = [];

    public List<QuorumReplicaState> Observers { get; set; } = [];

    /// <summary>Where each voter is reached, by node id (DescribeQuorum v2+; empty from older brokers).</summary>
    public Dictionary<int, QuorumNode> Nodes { get; set; } = [];
}

/// <summary>One replica of the metadata log as the quorum's leader knows it.</summary>
public class QuorumReplicaState
{
    public int ReplicaId { get; set; }

    /// <summary>The end offset it last acknowledged, or -1 when the leader does not know it yet.</summary>
    public long LogEndOffset { get; set; } = -1;

    /// <summary>When it last fetched, Unix epoch milliseconds; null when unknown (or the broker answers below v1).</summary>
    public long? LastFetchTimestamp { get; set; }

    /// <summary>When it was last caught up with the leader, Unix epoch milliseconds; null when unknown (or below v1).</summary>
    public long? LastCaughtUpTimestamp { get; set; }
}

/// <summary>A voter's endpoints.</summary>
public class QuorumNode
{
    public int NodeId { get; set; }

    public List<QuorumEndpoint> Endpoints { get; set; } = [];
}

/// <summary>A listener of a voter, written <c>NAME://host:port</c> (an IPv6 host in brackets).</summary>
public sealed record QuorumEndpoint(string Listener, string Host, int Port)
{
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Listener}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}");
}
