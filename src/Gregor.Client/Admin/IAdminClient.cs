namespace Gregor.Client.Admin;

/// <summary>Topic, partition, config and cluster administration, shaped like Confluent.Kafka's admin client.</summary>
public interface IAdminClient : IDisposable
{
    string Name { get; }

    /// <exception cref="CreateTopicsException">Some topic failed; the exception has each topic's outcome.</exception>
    Task CreateTopicsAsync(IEnumerable<TopicSpecification> topics, CreateTopicsOptions? options = null);

    /// <exception cref="DeleteTopicsException">Some topic failed.</exception>
    Task DeleteTopicsAsync(IEnumerable<string> topics, DeleteTopicsOptions? options = null);

    /// <exception cref="CreatePartitionsException">Some topic failed.</exception>
    Task CreatePartitionsAsync(IEnumerable<PartitionsSpecification> partitionsSpecifications, CreatePartitionsOptions? options = null);

    /// <exception cref="DescribeConfigsException">Some resource failed.</exception>
    Task<List<DescribeConfigsResult>> DescribeConfigsAsync(IEnumerable<ConfigResource> resources, DescribeConfigsOptions? options = null);

    /// <summary>Replaces the whole dynamic configuration of each resource (keys left out revert to their defaults).</summary>
    /// <exception cref="AlterConfigsException">Some resource failed.</exception>
    Task AlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs, AlterConfigsOptions? options = null);

    /// <summary>Applies each entry's <see cref="ConfigEntry.IncrementalOperation"/> to its key only.</summary>
    /// <exception cref="IncrementalAlterConfigsException">Some resource failed.</exception>
    Task<List<IncrementalAlterConfigsResult>> IncrementalAlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs, IncrementalAlterConfigsOptions? options = null);

    Task<DescribeClusterResult> DescribeClusterAsync(DescribeClusterOptions? options = null);

    /// <summary>Every topic and broker.</summary>
    Metadata GetMetadata(TimeSpan timeout);

    /// <summary>One topic (an unknown topic is reported with its error, not created).</summary>
    Metadata GetMetadata(string topic, TimeSpan timeout);

    /// <exception cref="ListOffsetsException">Some partition failed.</exception>
    Task<ListOffsetsResult> ListOffsetsAsync(IEnumerable<TopicPartitionOffsetSpec> topicPartitionOffsets, ListOffsetsOptions? options = null);
}
