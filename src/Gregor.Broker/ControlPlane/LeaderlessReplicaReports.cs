using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// What a broker's heartbeat tells the controller for its unclean recovery (KIP-966): for each replica it hosts of a
/// partition that, in its image, has no leader, no ISR and no eligible leaders, where the replica's log ends (the epoch
/// of its last batch and its log end offset) and the partition epoch it saw. Nothing appends to such a replica, so the
/// report stays true until the controller elects a leader.
/// </summary>
public static class LeaderlessReplicaReports
{
    public static List<BrokerHeartbeatRequest.LeaderlessReplica> For(MetadataImage image, ReplicaManager replicas)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(replicas);
        var reports = new List<BrokerHeartbeatRequest.LeaderlessReplica>();
        if (!replicas.IsStarted) return reports;
        foreach (var hosted in replicas.Partitions)
        {
            if (hosted.IsRemoved || image.Topic(hosted.Id.Topic) is not { } topic || hosted.Id.Partition >= topic.Partitions.Length) continue;
            var partition = topic.Partitions[hosted.Id.Partition];
            if (partition.Leader >= 0 || partition.Isr.Length > 0 || partition.Elr.Length > 0 || !partition.Replicas.Contains(replicas.NodeId)) continue;
            reports.Add(new BrokerHeartbeatRequest.LeaderlessReplica
            {
                TopicId = topic.Id,
                PartitionIndex = partition.Partition,
                PartitionEpoch = partition.PartitionEpoch,
                LastEpoch = hosted.Log.LatestEpoch,
                LogEndOffset = hosted.Log.LogEndOffset,
            });
        }
        return reports;
    }
}
