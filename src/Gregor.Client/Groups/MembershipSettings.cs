using Gregor.Client.Network;

namespace Gregor.Client.Groups;

/// <summary>The group membership's settings, by the Java consumer's names and defaults.</summary>
internal sealed record MembershipSettings
{
    public required string GroupId { get; init; }

    /// <summary>group.instance.id: a static member (KIP-345) when set.</summary>
    public string? GroupInstanceId { get; init; }

    /// <summary>client.rack: sent in the subscription (v3) when not empty.</summary>
    public string? RackId { get; init; }

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(45);

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>max.poll.interval.ms: also the rebalance timeout sent in JoinGroup, as in Java.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>metadata.max.age.ms: how often a regex subscriber and the leader look for topic changes.</summary>
    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>exclude.internal.topics: a regex never matches internal topics such as __consumer_offsets.</summary>
    public bool ExcludeInternalTopics { get; init; } = true;

    /// <summary>partition.assignment.strategy, in order of preference.</summary>
    public IReadOnlyList<IPartitionAssignor> Assignors { get; init; } = [new RangeAssignor(), new CooperativeStickyAssignor()];

    /// <summary>JoinGroup may wait for the whole rebalance: Java allows the rebalance timeout plus 5 s.</summary>
    public TimeSpan JoinTimeout => MaxPollInterval + TimeSpan.FromSeconds(5) > RequestTimeout ? MaxPollInterval + TimeSpan.FromSeconds(5) : RequestTimeout;

    public static MembershipSettings From(ConsumerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string groupId = config.GroupId is { Length: > 0 } id ? id : throw new ArgumentException("group.id is required for group membership");
        var c = new ConfigReader(config);
        string rack = c.String("client.rack", "");
        return new MembershipSettings
        {
            GroupId = groupId,
            GroupInstanceId = config.GroupInstanceId is { Length: > 0 } instance ? instance : null,
            RackId = rack.Length > 0 ? rack : null,
            SessionTimeout = c.Millis("session.timeout.ms", 45_000, 1),
            HeartbeatInterval = c.Millis("heartbeat.interval.ms", 3_000, 1),
            MaxPollInterval = c.Millis("max.poll.interval.ms", 300_000, 1),
            RequestTimeout = c.Millis("request.timeout.ms", 30_000, 1),
            RetryBackoff = TimeSpan.FromMilliseconds(c.Long("retry.backoff.ms", 100, 0)),
            RetryBackoffMax = TimeSpan.FromMilliseconds(c.Long("retry.backoff.max.ms", 1_000, 0)),
            MetadataMaxAge = TimeSpan.FromMilliseconds(c.Long("metadata.max.age.ms", 300_000, 0)),
            ExcludeInternalTopics = c.Bool("exclude.internal.topics", true),
            Assignors = PartitionAssignors.FromStrategies(config.PartitionAssignmentStrategies),
        };
    }
}
