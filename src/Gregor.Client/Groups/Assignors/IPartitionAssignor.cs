namespace Gregor.Client.Groups;

/// <summary>
/// A partition assignment strategy of the consumer protocol: a pure function from the group's
/// subscriptions and the partition counts of their topics to each member's partitions. The leader
/// runs the one the coordinator selected; every member of the group must list it under the same
/// <see cref="Name"/>, so names are Kafka's.
/// </summary>
internal interface IPartitionAssignor
{
    /// <summary>The protocol name in JoinGroup (<c>range</c>, <c>roundrobin</c>, <c>cooperative-sticky</c>).</summary>
    string Name { get; }

    /// <summary>Whether members may keep partitions through a rebalance with this assignor (KIP-429).</summary>
    bool SupportsCooperative { get; }

    /// <summary>The assignor's bytes in this member's subscription (null for none).</summary>
    byte[]? SubscriptionUserData(int generationId);

    /// <summary>
    /// Each member's partitions (every member of <paramref name="members"/> has an entry, maybe empty).
    /// <paramref name="partitionsPerTopic"/> holds the topics known to exist; subscribed topics missing
    /// from it are skipped, as Kafka does.
    /// </summary>
    IReadOnlyDictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> members);
}
