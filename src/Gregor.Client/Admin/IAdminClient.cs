namespace Gregor.Client.Admin;

/// <summary>Topic, partition, config, cluster and consumer group administration, shaped like Confluent.Kafka's admin client.</summary>
public interface IAdminClient : IDisposable
{
    string Name { get; }

    /// <exception cref="CreateTopicsException">Some topic failed; the exception has each topic's outcome.</exception>
    Task CreateTopicsAsync(IEnumerable<TopicSpecification> topics, CreateTopicsOptions? options = null);

    /// <exception cref="DeleteTopicsException">Some topic failed.</exception>
    Task DeleteTopicsAsync(IEnumerable<string> topics, DeleteTopicsOptions? options = null);

    /// <exception cref="CreatePartitionsException">Some topic failed.</exception>
    Task CreatePartitionsAsync(IEnumerable<PartitionsSpecification> partitionsSpecifications, CreatePartitionsOptions? options = null);

    /// <summary>Preferred or unclean leader elections (all partitions when <paramref name="partitions"/> is null, preferred only); throws <see cref="ElectLeadersException"/> when one fails (ELECTION_NOT_NEEDED is no failure).</summary>
    Task<ElectLeadersResult> ElectLeadersAsync(ElectionType electionType, IEnumerable<TopicPartition>? partitions, ElectLeadersOptions? options = null);

    /// <summary>Moves partitions to new replicas, or cancels moves (null replicas); throws <see cref="AlterPartitionReassignmentsException"/> when one fails.</summary>
    Task AlterPartitionReassignmentsAsync(IEnumerable<PartitionReassignmentSpecification> reassignments, AlterPartitionReassignmentsOptions? options = null);

    /// <summary>The reassignments under way, of <paramref name="partitions"/> or of all partitions.</summary>
    Task<List<PartitionReassignmentInfo>> ListPartitionReassignmentsAsync(IEnumerable<TopicPartition>? partitions = null, ListPartitionReassignmentsOptions? options = null);

    /// <exception cref="DescribeConfigsException">Some resource failed.</exception>
    Task<List<DescribeConfigsResult>> DescribeConfigsAsync(IEnumerable<ConfigResource> resources, DescribeConfigsOptions? options = null);

    /// <summary>Replaces the whole dynamic configuration of each resource (keys left out revert to their defaults).</summary>
    /// <exception cref="AlterConfigsException">Some resource failed.</exception>
    Task AlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs, AlterConfigsOptions? options = null);

    /// <summary>Applies each entry's <see cref="ConfigEntry.IncrementalOperation"/> to its key only.</summary>
    /// <exception cref="IncrementalAlterConfigsException">Some resource failed.</exception>
    Task<List<IncrementalAlterConfigsResult>> IncrementalAlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs, IncrementalAlterConfigsOptions? options = null);

    /// <summary>
    /// The cluster id, the controller DescribeCluster names and the brokers: the unfenced ones, or with
    /// <see cref="DescribeClusterOptions.IncludeFencedBrokers"/> every registered one, each marked fenced or not.
    /// </summary>
    Task<DescribeClusterResult> DescribeClusterAsync(DescribeClusterOptions? options = null);

    /// <summary>The KRaft metadata quorum (DescribeQuorum): leader, epoch, high watermark, voters and observers.</summary>
    /// <exception cref="KafkaException">The quorum could not be described (e.g. NOT_LEADER_OR_FOLLOWER, or a broker without DescribeQuorum).</exception>
    Task<QuorumInfo> DescribeMetadataQuorumAsync(DescribeMetadataQuorumOptions? options = null);

    /// <summary>Every topic and broker.</summary>
    Metadata GetMetadata(TimeSpan timeout);

    /// <summary>One topic (an unknown topic is reported with its error, not created).</summary>
    Metadata GetMetadata(string topic, TimeSpan timeout);

    /// <exception cref="ListOffsetsException">Some partition failed.</exception>
    Task<ListOffsetsResult> ListOffsetsAsync(IEnumerable<TopicPartitionOffsetSpec> topicPartitionOffsets, ListOffsetsOptions? options = null);

    /// <summary>The consumer groups of every broker (protocol type "consumer" or none), optionally only those in some states.</summary>
    /// <exception cref="ListConsumerGroupsException">Some broker could not list its groups; the exception has what the others listed.</exception>
    Task<ListConsumerGroupsResult> ListConsumerGroupsAsync(ListConsumerGroupsOptions? options = null);

    /// <summary>Each group's state, assignor, coordinator and members with their assigned partitions. A group that does not exist is Dead.</summary>
    /// <exception cref="DescribeConsumerGroupsException">Some group failed.</exception>
    Task<DescribeConsumerGroupsResult> DescribeConsumerGroupsAsync(IEnumerable<string> groups, DescribeConsumerGroupsOptions? options = null);

    /// <summary>Deletes groups that have no members, with their committed offsets.</summary>
    /// <exception cref="DeleteGroupsException">Some group failed (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, ...).</exception>
    Task DeleteGroupsAsync(IList<string> groups, DeleteGroupsOptions? options = null);

    /// <summary>Each group's committed offsets: for the partitions named, or every partition it has one for.</summary>
    /// <exception cref="ListConsumerGroupOffsetsException">Some group or partition failed.</exception>
    Task<List<ListConsumerGroupOffsetsResult>> ListConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitions> groupPartitions, ListConsumerGroupOffsetsOptions? options = null);

    /// <summary>Commits offsets for groups as a standalone committer; a group with active members refuses (UNKNOWN_MEMBER_ID).</summary>
    /// <exception cref="AlterConsumerGroupOffsetsException">Some group or partition failed.</exception>
    Task<List<AlterConsumerGroupOffsetsResult>> AlterConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitionOffsets> groupPartitions, AlterConsumerGroupOffsetsOptions? options = null);

    /// <summary>Drops a group's committed offsets for some partitions.</summary>
    /// <exception cref="DeleteConsumerGroupOffsetsException">The group or some partition failed (GROUP_SUBSCRIBED_TO_TOPIC, GROUP_ID_NOT_FOUND, ...).</exception>
    Task<DeleteConsumerGroupOffsetsResult> DeleteConsumerGroupOffsetsAsync(string group, IEnumerable<TopicPartition> partitions, DeleteConsumerGroupOffsetsOptions? options = null);
}
