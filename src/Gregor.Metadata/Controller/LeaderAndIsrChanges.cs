using Gregor.Metadata.Records;

namespace Gregor.Metadata.Controller;

/// <summary>
/// The partition changes a broker's lifecycle causes, by Kafka's rules (ReplicationControlManager's leader and ISR
/// updates, elections by <see cref="PartitionChangeBuilder"/>):
/// <list type="bullet">
/// <item>a broker being removed (fenced, shutting down, unregistered) leaves every ISR it is in and cannot lead —
/// without eligible leader replicas the last member stays in the ISR, so the partition keeps a record of who has its
/// data; with them it becomes an eligible leader replica instead;</item>
/// <item>a broker that registered after an unclean shutdown leaves every ISR and is no eligible leader replica: it may
/// have lost records it had acknowledged;</item>
/// <item>a leader that is still acceptable (a candidate, active) keeps leading; otherwise another candidate leads (an
/// ISR member, or an eligible leader replica when the ISR is empty), else — when the topic allows unclean election —
/// any active replica, else nobody (-1);</item>
/// <item>a broker being added (just unfenced) counts as active, because the image still says it is fenced while
/// the records are being made.</item>
/// </list>
/// </summary>
internal static class LeaderAndIsrChanges
{
    public const int None = -1;

    /// <summary>The change to one partition, or null when nothing changes.</summary>
    /// <param name="unregistered">The broker <paramref name="uncleanShutdown"/> names leaves the cluster: it is no more a replica to recover from.</param>
    /// <param name="recovery">What the unclean recovery knows of the partition's replicas' logs (null: nothing reported).</param>
    public static PartitionChangeRecord? For(MetadataImage image, TopicImage topic, PartitionImage partition, PartitionPolicy policy,
        int removed, int added, int uncleanShutdown = None, RecoveryKnowledge? recovery = null, bool unregistered = false)
    {
        bool Acceptable(int replica) =>
            replica != removed && replica != uncleanShutdown
            && (replica == added || (image.Brokers.TryGetValue(replica, out var broker) && broker.IsActive));

        var builder = new PartitionChangeBuilder(topic.Id, partition, Acceptable, policy)
        {
            TargetIsr = [.. partition.Isr.Where(r => r != removed && r != uncleanShutdown)],
            UncleanShutdownReplica = uncleanShutdown,
            UncleanShutdownReplicaGone = unregistered,
            ReportedLogEnd = recovery?.ReportedLogEnd ?? (_ => null),
            RecoveryWaitOver = recovery?.WaitOver ?? false,
        };
        return builder.Build();
    }

    /// <summary>Partitions whose ISR or eligible leader replicas hold <paramref name="brokerId"/>, in topic name then partition order.</summary>
    public static IEnumerable<(TopicImage Topic, PartitionImage Partition)> WithInIsrOrElr(MetadataImage image, int brokerId) =>
        AllPartitions(image).Where(tp => tp.Partition.Isr.Contains(brokerId) || tp.Partition.Elr.Contains(brokerId));

    /// <summary>Partitions whose ISR, eligible leader replicas or last known ELR hold <paramref name="brokerId"/>, in topic name then partition order.</summary>
    public static IEnumerable<(TopicImage Topic, PartitionImage Partition)> NamingAnywhere(MetadataImage image, int brokerId) =>
        AllPartitions(image).Where(tp => tp.Partition.Isr.Contains(brokerId) || tp.Partition.Elr.Contains(brokerId) || tp.Partition.LastKnownElr.Contains(brokerId));

    /// <summary>Partitions whose ISR holds <paramref name="brokerId"/>, in topic name then partition order.</summary>
    public static IEnumerable<(TopicImage Topic, PartitionImage Partition)> WithInIsr(MetadataImage image, int brokerId) =>
        AllPartitions(image).Where(tp => tp.Partition.Isr.Contains(brokerId));

    /// <summary>Partitions without a leader, in topic name then partition order.</summary>
    public static IEnumerable<(TopicImage Topic, PartitionImage Partition)> Leaderless(MetadataImage image) =>
        AllPartitions(image).Where(tp => tp.Partition.Leader < 0);

    public static bool Leads(MetadataImage image, int brokerId) => AllPartitions(image).Any(tp => tp.Partition.Leader == brokerId);

    private static IEnumerable<(TopicImage Topic, PartitionImage Partition)> AllPartitions(MetadataImage image) =>
        image.TopicsByName.Values
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.Partitions.Select(p => (t, p)));
}

/// <summary>For one partition: its replicas' reported log ends, and whether the unclean recovery has waited long enough.</summary>
internal sealed record RecoveryKnowledge(Func<int, ReplicaLogEnd?> ReportedLogEnd, bool WaitOver);
