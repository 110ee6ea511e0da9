using Gregor.Metadata.Records;

namespace Gregor.Metadata.Controller;

/// <summary>
/// The partition changes a broker's lifecycle causes, by Kafka's rules (ReplicationControlManager's leader and ISR
/// updates with an ONLINE election, without eligible leader replicas):
/// <list type="bullet">
/// <item>a broker being removed (fenced, shutting down, unregistered) leaves every ISR it is in — unless it is the
/// last member, which stays so the partition keeps a record of who has its data — and cannot lead;</item>
/// <item>a leader that is still acceptable (in the new ISR, active) keeps leading; otherwise the first replica, in
/// replica order, that is in the new ISR and active leads, else nobody (-1). A replica outside the ISR is never
/// elected: there is no unclean election;</item>
/// <item>a broker being added (just unfenced) counts as active, because the image still says it is fenced while
/// the records are being made.</item>
/// </list>
/// </summary>
internal static class LeaderAndIsrChanges
{
    public const int None = -1;

    /// <summary>The change to one partition, or null when nothing changes.</summary>
    public static PartitionChangeRecord? For(MetadataImage image, TopicImage topic, PartitionImage partition, int removed, int added)
    {
        bool Acceptable(int replica) =>
            replica != removed
            && (replica == added || (image.Brokers.TryGetValue(replica, out var broker) && broker.IsActive));

        int[] targetIsr = [.. partition.Isr.Where(r => r != removed)];
        bool ValidLeader(int replica) => targetIsr.Contains(replica) && Acceptable(replica);

        int leader = ValidLeader(partition.Leader)
            ? partition.Leader
            : partition.Replicas.FirstOrDefault(ValidLeader, None);

        bool leaderChanges = leader != partition.Leader;
        // An ISR that would be empty is left as it was (the last member stays in it).
        bool isrChanges = targetIsr.Length > 0 && !targetIsr.SequenceEqual(partition.Isr);
        if (!leaderChanges && !isrChanges)
            return null;
        var record = new PartitionChangeRecord { TopicId = topic.Id, PartitionId = partition.Partition };
        if (leaderChanges) record.Leader = leader;
        if (isrChanges) record.Isr = [.. targetIsr];
        return record;
    }

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
