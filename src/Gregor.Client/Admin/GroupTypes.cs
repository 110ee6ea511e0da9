namespace Gregor.Client.Admin;

/// <summary>A classic group's state, as its coordinator names it.</summary>
public enum ConsumerGroupState
{
    Unknown = 0,
    PreparingRebalance = 1,
    CompletingRebalance = 2,
    Stable = 3,
    Dead = 4,
    Empty = 5,
}

/// <summary>A group as ListGroups reports it.</summary>
public class ConsumerGroupListing
{
    public string GroupId { get; set; } = "";

    /// <summary>A group with no protocol type: only standalone commits, never members.</summary>
    public bool IsSimpleConsumerGroup { get; set; }

    public ConsumerGroupState State { get; set; }

    public override string ToString() => $"{GroupId} ({State})";
}

/// <summary>The partitions a member was given, decoded from the consumer protocol's assignment.</summary>
public class MemberAssignment
{
    public List<TopicPartition> TopicPartitions { get; set; } = [];
}

/// <summary>One member of a group.</summary>
public class MemberDescription
{
    /// <summary>The member id the coordinator gave it.</summary>
    public string ConsumerId { get; set; } = "";

    public string? GroupInstanceId { get; set; }

    public string ClientId { get; set; } = "";

    public string Host { get; set; } = "";

    public MemberAssignment Assignment { get; set; } = new();
}

/// <summary>A group as DescribeGroups reports it, with the broker that coordinates it.</summary>
public class ConsumerGroupDescription
{
    public string GroupId { get; set; } = "";

    public Error Error { get; set; } = new(ErrorCode.NoError);

    public bool IsSimpleConsumerGroup { get; set; }

    /// <summary>The assignor the members agreed on (e.g. range); empty unless the group is stable.</summary>
    public string PartitionAssignor { get; set; } = "";

    public ConsumerGroupState State { get; set; }

    public List<MemberDescription> Members { get; set; } = [];

    public Node? Coordinator { get; set; }
}

public class ListConsumerGroupsResult
{
    public List<ConsumerGroupListing> Valid { get; set; } = [];
}

public class DescribeConsumerGroupsResult
{
    public List<ConsumerGroupDescription> ConsumerGroupDescriptions { get; set; } = [];
}

/// <summary>A group and some of its partitions; null partitions mean every partition it has an offset for.</summary>
public class ConsumerGroupTopicPartitions
{
    public ConsumerGroupTopicPartitions(string group, List<TopicPartition>? topicPartitions)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        Group = group;
        TopicPartitions = topicPartitions;
    }

    public string Group { get; }

    public List<TopicPartition>? TopicPartitions { get; }
}

/// <summary>A group and the offsets to commit for it.</summary>
public class ConsumerGroupTopicPartitionOffsets
{
    public ConsumerGroupTopicPartitionOffsets(string group, List<TopicPartitionOffset> topicPartitionOffsets)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        ArgumentNullException.ThrowIfNull(topicPartitionOffsets);
        Group = group;
        TopicPartitionOffsets = topicPartitionOffsets;
    }

    public string Group { get; }

    public List<TopicPartitionOffset> TopicPartitionOffsets { get; }
}

/// <summary>A group's committed offsets; a partition without one has <see cref="Offset.Unset"/>.</summary>
public class ListConsumerGroupOffsetsResult
{
    public string Group { get; set; } = "";

    public List<TopicPartitionOffsetError> Partitions { get; set; } = [];
}

public class AlterConsumerGroupOffsetsResult
{
    public string Group { get; set; } = "";

    public List<TopicPartitionOffset> Partitions { get; set; } = [];
}

public class DeleteConsumerGroupOffsetsResult
{
    public string Group { get; set; } = "";

    public List<TopicPartition> Partitions { get; set; } = [];
}
