using Gregor.Net;
using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Client.Metadata;

/// <summary>A partition as the last metadata answer described it.</summary>
internal sealed record PartitionMetadata(int Partition, WireErrorCode Error, int Leader, int LeaderEpoch, int[] Replicas, int[] InSyncReplicas, int[] OfflineReplicas);

/// <summary>A topic as the last metadata answer described it; partitions are indexed by partition number.</summary>
internal sealed record TopicMetadata(string Name, KafkaUuid TopicId, WireErrorCode Error, bool IsInternal, PartitionMetadata[] Partitions)
{
    /// <summary>Partitions that have a leader, for the partitioner.</summary>
    public int[] Available { get; } = [.. Partitions.Where(p => p.Leader >= 0 && p.Error == WireErrorCode.None).Select(p => p.Partition)];
}

/// <summary>An immutable snapshot of what the client knows of the cluster: brokers, controller, topics.</summary>
internal sealed class ClusterMetadata
{
    public static readonly ClusterMetadata Empty = new(new Dictionary<int, BrokerEndpoint>(), new Dictionary<string, TopicMetadata>(), null, -1, -1, DateTimeOffset.MinValue);

    public ClusterMetadata(IReadOnlyDictionary<int, BrokerEndpoint> brokers, IReadOnlyDictionary<string, TopicMetadata> topics,
        string? clusterId, int controllerId, int answeredBy, DateTimeOffset fetchedAt)
    {
        Brokers = brokers;
        Topics = topics;
        ClusterId = clusterId;
        ControllerId = controllerId;
        AnsweredBy = answeredBy;
        FetchedAt = fetchedAt;
    }

    public IReadOnlyDictionary<int, BrokerEndpoint> Brokers { get; }

    public IReadOnlyDictionary<string, TopicMetadata> Topics { get; }

    public string? ClusterId { get; }

    public int ControllerId { get; }

    /// <summary>Node id of the broker that answered (-1 if unknown).</summary>
    public int AnsweredBy { get; }

    public DateTimeOffset FetchedAt { get; }

    /// <summary>
    /// Folds a Metadata response into a new snapshot. Topics not asked about keep their previous
    /// entries (a producer asks only for its own topics); topics asked about are replaced.
    /// </summary>
    public ClusterMetadata With(MetadataResponse response, int answeredBy, DateTimeOffset now)
    {
        var brokers = new Dictionary<int, BrokerEndpoint>();
        foreach (var b in response.Brokers) brokers[b.NodeId] = new BrokerEndpoint(b.Host, b.Port);
        var topics = new Dictionary<string, TopicMetadata>(Topics, StringComparer.Ordinal);
        foreach (var t in response.Topics)
        {
            if (t.Name is null) continue;
            var partitions = new List<PartitionMetadata>(t.Partitions.Count);
            foreach (var p in t.Partitions)
                partitions.Add(new PartitionMetadata(p.PartitionIndex, (WireErrorCode)p.ErrorCode, p.LeaderId, p.LeaderEpoch,
                    [.. p.ReplicaNodes], [.. p.IsrNodes], [.. p.OfflineReplicas]));
            partitions.Sort((a, b) => a.Partition.CompareTo(b.Partition));
            topics[t.Name] = new TopicMetadata(t.Name, t.TopicId, (WireErrorCode)t.ErrorCode, t.IsInternal, [.. partitions]);
        }
        return new ClusterMetadata(brokers, topics, response.ClusterId, response.ControllerId, answeredBy, now);
    }

    /// <summary>The leader's address of a partition, if metadata names a live one.</summary>
    public bool TryGetLeader(string topic, int partition, out int leader, out BrokerEndpoint endpoint)
    {
        leader = -1;
        endpoint = default;
        if (!Topics.TryGetValue(topic, out var t) || t.Error != WireErrorCode.None || partition < 0 || partition >= t.Partitions.Length) return false;
        var p = t.Partitions[partition];
        if (p.Partition != partition || p.Leader < 0) return false;
        leader = p.Leader;
        return Brokers.TryGetValue(leader, out endpoint);
    }
}
