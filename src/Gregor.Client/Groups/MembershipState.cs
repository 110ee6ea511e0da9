namespace Gregor.Client.Groups;

/// <summary>Where a member is in the group's life, named after Kafka's group states where they match.</summary>
internal enum MembershipState
{
    /// <summary>No subscription: not in a group.</summary>
    Unsubscribed = 0,

    /// <summary>Wants to (re)join: finding the coordinator, waiting for revocations, or JoinGroup in flight.</summary>
    PreparingRebalance = 1,

    /// <summary>JoinGroup answered: the leader gathers metadata and assigns; SyncGroup in flight.</summary>
    CompletingRebalance = 2,

    /// <summary>In a generation with an assignment, heartbeating (a rejoin may be pending).</summary>
    Stable = 3,

    /// <summary>Closed: left the group (dynamic members) and gave up its partitions.</summary>
    Closed = 4,

    /// <summary>A fatal error (e.g. FENCED_INSTANCE_ID): the member cannot go on.</summary>
    Failed = 5,
}
