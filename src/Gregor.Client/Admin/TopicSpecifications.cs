namespace Gregor.Client.Admin;

/// <summary>A topic to create: partitions and replication factor, or an explicit replica assignment, plus topic configs.</summary>
public class TopicSpecification
{
    public string Name { get; set; } = "";

    /// <summary>-1: the broker's num.partitions.</summary>
    public int NumPartitions { get; set; } = -1;

    /// <summary>-1: the broker's default.replication.factor.</summary>
    public short ReplicationFactor { get; set; } = -1;

    /// <summary>Partition → broker ids; when set, NumPartitions and ReplicationFactor must be -1.</summary>
    public Dictionary<int, List<int>>? ReplicasAssignments { get; set; }

    public Dictionary<string, string>? Configs { get; set; }
}

/// <summary>Raise a topic's partition count to <see cref="IncreaseTo"/>.</summary>
public class PartitionsSpecification
{
    public string Topic { get; set; } = "";

    public int IncreaseTo { get; set; }

    /// <summary>Broker ids for each new partition, or null to let the controller place them.</summary>
    public List<List<int>>? ReplicaAssignments { get; set; }
}

/// <summary>Options every admin operation takes.</summary>
public class AdminOptions
{
    /// <summary>How long to wait for the answer; null for request.timeout.ms.</summary>
    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>How long the broker may take to finish the operation (topic creation, deletion); null for the request timeout.</summary>
    public TimeSpan? OperationTimeout { get; set; }

    /// <summary>Check the request without applying it.</summary>
    public bool ValidateOnly { get; set; }
}

public class CreateTopicsOptions : AdminOptions;

public class DeleteTopicsOptions : AdminOptions;

public class CreatePartitionsOptions : AdminOptions;

public class DescribeConfigsOptions : AdminOptions;

public class AlterConfigsOptions : AdminOptions;

public class IncrementalAlterConfigsOptions : AdminOptions;

public class DescribeClusterOptions : AdminOptions
{
    /// <summary>
    /// List the fenced brokers too, each with <see cref="Node.IsFenced"/> set (DescribeCluster v2, KIP-1073). A broker
    /// that speaks only v0-1 lists the unfenced ones alone; <see cref="DescribeClusterResult.IncludesFencedBrokers"/>
    /// tells which happened. Controllers (a client bootstrapped from them) are never fenced and are listed as ever.
    /// </summary>
    public bool IncludeFencedBrokers { get; set; }
}

public class DescribeMetadataQuorumOptions : AdminOptions;

public class ListOffsetsOptions : AdminOptions
{
    public IsolationLevel IsolationLevel { get; set; } = IsolationLevel.ReadUncommitted;
}

public enum IsolationLevel
{
    ReadUncommitted = 0,
    ReadCommitted = 1,
}
