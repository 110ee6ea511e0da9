namespace Gregor.Client.Admin;

/// <summary>ElectLeaders' election type (Confluent.Kafka's names and values).</summary>
public enum ElectionType
{
    /// <summary>Give leadership back to each partition's first (preferred) replica when it is in sync.</summary>
    Preferred = 0,

    /// <summary>Give a partition without a leader one, even a replica that is not in sync (it may lose records).</summary>
    Unclean = 1,
}

public class ElectLeadersOptions : AdminOptions;

public class AlterPartitionReassignmentsOptions : AdminOptions;

public class ListPartitionReassignmentsOptions : AdminOptions;

/// <summary>One partition's outcome.</summary>
public class TopicPartitionError(string topic, Partition partition, Error error)
{
    public string Topic { get; } = topic;

    public Partition Partition { get; } = partition;

    public Error Error { get; } = error;

    public TopicPartition TopicPartition => new(Topic, Partition);
}

/// <summary>The partitions an election was asked for (all when none were named: those that needed one), each with its outcome.</summary>
public class ElectLeadersResult
{
    public List<TopicPartitionError> TopicPartitions { get; init; } = [];
}

public class ElectLeadersReport : ElectLeadersResult;

/// <summary>An election failed for at least one partition; ELECTION_NOT_NEEDED is no failure.</summary>
public class ElectLeadersException(ElectLeadersReport results)
    : KafkaException(CreateTopicsException.FirstError(results.TopicPartitions.Select(p => p.Error)))
{
    public ElectLeadersReport Results { get; } = results;
}

/// <summary>A partition to move to <see cref="Replicas"/>; null replicas cancel the move under way.</summary>
public class PartitionReassignmentSpecification
{
    public string Topic { get; set; } = "";

    public int Partition { get; set; }

    public IReadOnlyList<int>? Replicas { get; set; }
}

public class AlterPartitionReassignmentsException(List<TopicPartitionError> results)
    : KafkaException(CreateTopicsException.FirstError(results.Select(r => r.Error)))
{
    public List<TopicPartitionError> Results { get; } = results;
}

/// <summary>A reassignment under way: all replicas (targets first), and those being added and removed.</summary>
public class PartitionReassignmentInfo
{
    public string Topic { get; init; } = "";

    public int Partition { get; init; }

    public IReadOnlyList<int> Replicas { get; init; } = [];

    public IReadOnlyList<int> AddingReplicas { get; init; } = [];

    public IReadOnlyList<int> RemovingReplicas { get; init; } = [];
}
