using Gregor.Metadata.Configs;
using Gregor.Metadata.Records;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;
using Gregor.Storage;

namespace Gregor.Metadata.Controller;

public sealed partial class QuorumController
{
    /// <summary>
    /// Creates topics (or, with <paramref name="validateOnly"/>, only checks them). Each topic succeeds or fails on
    /// its own; the successful ones are committed together as one batch.
    /// </summary>
    public Task<IReadOnlyList<CreateTopicOutcome>> CreateTopicsAsync(IReadOnlyList<NewTopic> topics, bool validateOnly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        return RunAsync<IReadOnlyList<CreateTopicOutcome>>(!validateOnly, cancellationToken, op =>
        {
            var outcomes = new List<CreateTopicOutcome>(topics.Count);
            int partitionsInRequest = 0;
            foreach (var topic in topics)
                outcomes.Add(CreateTopic(op, topic, ref partitionsInRequest));
            return outcomes;
        });
    }

    private CreateTopicOutcome CreateTopic(PendingOperation op, NewTopic topic, ref int partitionsInRequest)
    {
        string name = topic.Name;
        if (TopicNameRules.Check(name) is string illegal)
            return CreateTopicOutcome.Failed(name, ErrorCode.InvalidTopicException, illegal);
        if (op.Image.TopicsByName.ContainsKey(name))
            return CreateTopicOutcome.Failed(name, ErrorCode.TopicAlreadyExists, $"Topic '{name}' already exists.");
        if (TopicNameRules.HasCollisionChars(name))
        {
            string key = TopicNameRules.CollisionKey(name);
            foreach (string existing in op.Image.TopicsByName.Keys)
                if (TopicNameRules.CollisionKey(existing) == key)
                    return CreateTopicOutcome.Failed(name, ErrorCode.InvalidTopicException, $"Topic '{name}' collides with existing topic: {existing}");
        }

        Outcome configCheck = CheckTopicConfigs(topic.Configs, out var configs);
        if (!configCheck.IsOk)
            return CreateTopicOutcome.Failed(name, configCheck.Error, configCheck.Message);

        List<List<int>> placement;
        if (topic.Assignments.Count > 0)
        {
            if (topic.NumPartitions != -1 || topic.ReplicationFactor != -1)
                return CreateTopicOutcome.Failed(name, ErrorCode.InvalidRequest,
                    "A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1.");
            var checkedAssignment = CheckAssignments(op.Image, topic.Assignments, out placement);
            if (checkedAssignment.IsOk) checkedAssignment = CheckManualPlacement(op.Image, placement, firstPartition: 0);
            if (!checkedAssignment.IsOk)
                return CreateTopicOutcome.Failed(name, checkedAssignment.Error, checkedAssignment.Message);
        }
        else
        {
            int partitions = topic.NumPartitions == -1 ? _settings.NumPartitions : topic.NumPartitions;
            short replicationFactor = topic.ReplicationFactor == -1 ? _settings.DefaultReplicationFactor : topic.ReplicationFactor;
            if (partitions <= 0)
                return CreateTopicOutcome.Failed(name, ErrorCode.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.");
            if (replicationFactor <= 0)
                return CreateTopicOutcome.Failed(name, ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.");
            if (partitions > _settings.MaxPartitionsPerRequest - partitionsInRequest)
                return CreateTopicOutcome.Failed(name, ErrorCode.PolicyViolation,
                    $"Excessively large number of partitions per request: at most {_settings.MaxPartitionsPerRequest} may be created at once.");
            var placed = Place(op.Image, partitions, replicationFactor, out placement);
            if (!placed.IsOk)
                return CreateTopicOutcome.Failed(name, placed.Error, placed.Message);
        }
        if (placement.Count > _settings.MaxPartitionsPerRequest - partitionsInRequest)
            return CreateTopicOutcome.Failed(name, ErrorCode.PolicyViolation,
                $"Excessively large number of partitions per request: at most {_settings.MaxPartitionsPerRequest} may be created at once.");
        if (CapacityRefusal(op.Image, placement) is string refusal)
            return CreateTopicOutcome.Failed(name, ErrorCode.PolicyViolation, refusal);
        partitionsInRequest += placement.Count;

        KafkaUuid id = NewTopicId(op.Image);
        op.Add(new TopicRecord { Name = name, TopicId = id });
        foreach (var (key, value) in configs)
            op.Add(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Topic, ResourceName = name, Name = key, Value = value });
        for (int p = 0; p < placement.Count; p++)
            op.Add(NewPartition(op.Image, id, p, placement[p]));
        return new CreateTopicOutcome(name, ErrorCode.None, null, id, placement.Count, (short)placement[0].Count);
    }

    /// <summary>Deletes topics by name or id; unknown ones fail on their own.</summary>
    public Task<IReadOnlyList<DeleteTopicOutcome>> DeleteTopicsAsync(IReadOnlyList<TopicReference> topics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        return RunAsync<IReadOnlyList<DeleteTopicOutcome>>(commit: true, cancellationToken, op =>
        {
            var outcomes = new List<DeleteTopicOutcome>(topics.Count);
            foreach (var reference in topics)
            {
                TopicImage? topic;
                if (reference.Name is not null && !reference.Id.IsZero)
                {
                    outcomes.Add(new DeleteTopicOutcome(reference.Name, reference.Id, ErrorCode.InvalidRequest, "A topic is named by its name or its id, not both."));
                    continue;
                }
                if (reference.Name is not null)
                {
                    topic = op.Image.Topic(reference.Name);
                    if (topic is null)
                    {
                        outcomes.Add(new DeleteTopicOutcome(reference.Name, KafkaUuid.Zero, ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition."));
                        continue;
                    }
                }
                else
                {
                    topic = reference.Id.IsZero ? null : op.Image.Topic(reference.Id);
                    if (topic is null)
                    {
                        outcomes.Add(new DeleteTopicOutcome(null, reference.Id, ErrorCode.UnknownTopicId, "This server does not host this topic ID."));
                        continue;
                    }
                }
                op.Add(new RemoveTopicRecord { TopicId = topic.Id });
                outcomes.Add(new DeleteTopicOutcome(topic.Name, topic.Id, ErrorCode.None, null));
            }
            return outcomes;
        });
    }

    /// <summary>Raises partition counts; a count that is not an increase fails with INVALID_PARTITIONS.</summary>
    public Task<IReadOnlyList<Outcome>> CreatePartitionsAsync(IReadOnlyList<PartitionIncrease> increases, bool validateOnly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(increases);
        return RunAsync<IReadOnlyList<Outcome>>(!validateOnly, cancellationToken, op =>
        {
            var outcomes = new List<Outcome>(increases.Count);
            int partitionsInRequest = 0;
            foreach (var increase in increases)
                outcomes.Add(CreatePartitions(op, increase, ref partitionsInRequest));
            return outcomes;
        });
    }

    private Outcome CreatePartitions(PendingOperation op, PartitionIncrease increase, ref int partitionsInRequest)
    {
        var topic = op.Image.Topic(increase.Topic);
        if (topic is null)
            return new Outcome(ErrorCode.UnknownTopicOrPartition, $"Unable to find topic {increase.Topic}");
        int current = topic.Partitions.Length;
        if (increase.Count < current)
            return new Outcome(ErrorCode.InvalidPartitions, $"The topic {topic.Name} currently has {current} partition(s); {increase.Count} would not be an increase.");
        if (increase.Count == current)
            return new Outcome(ErrorCode.InvalidPartitions, $"Topic already has {current} partition(s).");
        int added = increase.Count - current;
        if (added > _settings.MaxPartitionsPerRequest - partitionsInRequest)
            return new Outcome(ErrorCode.PolicyViolation, $"Excessively large number of partitions per request: at most {_settings.MaxPartitionsPerRequest} may be created at once.");
        int replicationFactor = current > 0 ? topic.Partitions[0].Replicas.Length : 1;
        List<List<int>> placement;
        if (increase.Assignments is { } assignments)
        {
            if (assignments.Count != added)
                return new Outcome(ErrorCode.InvalidReplicaAssignment, $"Attempted to add {added} additional partition(s), but only {assignments.Count} assignment(s) were specified.");
            var given = assignments.Select((brokers, i) => new PartitionAssignment(current + i, brokers)).ToList();
            var checkedAssignment = CheckAssignments(op.Image, given, out placement, firstPartition: current);
            if (!checkedAssignment.IsOk) return checkedAssignment;
            if (placement[0].Count != replicationFactor)
                return new Outcome(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes a partition with {placement[0].Count} replica(s), but this is not consistent with previous partitions, which have {replicationFactor} replica(s).");
            checkedAssignment = CheckManualPlacement(op.Image, placement, firstPartition: current);
            if (!checkedAssignment.IsOk) return checkedAssignment;
        }
        else
        {
            var placed = Place(op.Image, added, replicationFactor, out placement);
            if (!placed.IsOk) return placed;
        }
        if (CapacityRefusal(op.Image, placement) is string refusal)
            return new Outcome(ErrorCode.PolicyViolation, refusal);
        partitionsInRequest += added;
        for (int i = 0; i < placement.Count; i++)
            op.Add(NewPartition(op.Image, topic.Id, current + i, placement[i]));
        return Outcome.Ok;
    }

    /// <summary>
    /// Asks the capacity whether the brokers of <paramref name="placement"/> can host its replicas, on top of the
    /// pending image (which holds the topics created earlier in the same request).
    /// </summary>
    private string? CapacityRefusal(MetadataImage image, List<List<int>> placement)
    {
        if (_capacity is null)
            return null;
        var added = new Dictionary<int, int>();
        foreach (List<int> replicas in placement)
        {
            foreach (int broker in replicas)
                added[broker] = added.GetValueOrDefault(broker) + 1;
        }
        return _capacity.Refusal(image, added);
    }

    /// <summary>A new partition: its ISR is its active replicas (placement checked there is one), the first of them leads.</summary>
    private static PartitionRecord NewPartition(MetadataImage image, KafkaUuid topicId, int partition, List<int> replicas)
    {
        List<int> isr = [.. replicas.Where(r => IsActiveBroker(image, r))];
        return new PartitionRecord
        {
            TopicId = topicId,
            PartitionId = partition,
            Replicas = [.. replicas],
            Isr = [.. isr],
            Leader = isr[0],
            LeaderEpoch = 0,
            PartitionEpoch = 0,
        };
    }

    private static bool IsActiveBroker(MetadataImage image, int broker) => image.Brokers.TryGetValue(broker, out var b) && b.IsActive;

    private KafkaUuid NewTopicId(MetadataImage image)
    {
        while (true)
        {
            var id = KafkaUuid.NewRandom(_random);
            if (!image.TopicsById.ContainsKey(id)) return id;
        }
    }

    /// <summary>
    /// Places <paramref name="count"/> new partitions of <paramref name="replicationFactor"/> replicas each over the
    /// active (unfenced, not shutting down) brokers, striped over racks from a random start
    /// (<see cref="StripedReplicaPlacement"/>). More replicas than active brokers is INVALID_REPLICATION_FACTOR.
    /// </summary>
    private Outcome Place(MetadataImage image, int count, int replicationFactor, out List<List<int>> placement)
    {
        placement = [];
        int registered = image.Brokers.Count;
        if (replicationFactor > registered)
            return new Outcome(ErrorCode.InvalidReplicationFactor,
                $"Unable to replicate the partition {replicationFactor} time(s): The target replication factor of {replicationFactor} cannot be reached because only {registered} broker(s) are registered.");
        var usable = image.Brokers.Values.Where(b => b.IsActive).Select(b => (b.NodeId, b.Rack)).ToList();
        if (usable.Count == 0)
            return new Outcome(ErrorCode.InvalidReplicationFactor,
                $"Unable to replicate the partition {replicationFactor} time(s): All brokers are currently fenced or in controlled shutdown.");
        if (replicationFactor > usable.Count)
            return new Outcome(ErrorCode.InvalidReplicationFactor,
                $"Unable to replicate the partition {replicationFactor} time(s): only {usable.Count} of the {registered} registered broker(s) are unfenced.");
        placement = new StripedReplicaPlacement(usable, _random).Place(count, replicationFactor);
        return Outcome.Ok;
    }

    /// <summary>A manual placement (already checked against registered brokers) needs an active broker in each partition, to lead it.</summary>
    private static Outcome CheckManualPlacement(MetadataImage image, List<List<int>> placement, int firstPartition)
    {
        for (int i = 0; i < placement.Count; i++)
            if (!placement[i].Any(r => IsActiveBroker(image, r)))
                return new Outcome(ErrorCode.InvalidReplicationFactor,
                    $"Every broker of the manual partition assignment of partition {firstPartition + i} is fenced or in controlled shutdown.");
        return Outcome.Ok;
    }

    /// <summary>Checks manual assignments: consecutive partitions from <paramref name="firstPartition"/>, registered and distinct brokers, one replica count.</summary>
    private static Outcome CheckAssignments(MetadataImage image, IReadOnlyList<PartitionAssignment> assignments, out List<List<int>> placement, int firstPartition = 0)
    {
        placement = [];
        var byPartition = new SortedDictionary<int, IReadOnlyList<int>>();
        foreach (var a in assignments)
            if (!byPartition.TryAdd(a.Partition, a.Brokers))
                return new Outcome(ErrorCode.InvalidReplicaAssignment, $"Partition {a.Partition} is assigned twice.");
        int expected = firstPartition;
        int replicaCount = -1;
        foreach (var (partition, brokers) in byPartition)
        {
            if (partition != expected)
                return new Outcome(ErrorCode.InvalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence.");
            expected++;
            if (brokers.Count == 0)
                return new Outcome(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes an empty replica list for partition {partition}.");
            if (brokers.Distinct().Count() != brokers.Count)
                return new Outcome(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes the broker {brokers.GroupBy(b => b).First(g => g.Count() > 1).Key} more than once for partition {partition}.");
            foreach (int broker in brokers)
                if (!image.Brokers.ContainsKey(broker))
                    return new Outcome(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes broker {broker}, but no such broker is registered.");
            if (replicaCount >= 0 && brokers.Count != replicaCount)
                return new Outcome(ErrorCode.InvalidReplicaAssignment, $"The manual partition assignment includes a partition with {brokers.Count} replica(s), but this is not consistent with previous partitions, which have {replicaCount} replica(s).");
            replicaCount = brokers.Count;
            placement.Add([.. brokers]);
        }
        return Outcome.Ok;
    }

    /// <summary>Checks a topic's configs one by one and together (as a partition log would be configured).</summary>
    private Outcome CheckTopicConfigs(IReadOnlyList<KeyValuePair<string, string?>> given, out Dictionary<string, string> configs)
    {
        configs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in given)
        {
            if (TopicConfigCatalog.Check(name, value) is string problem)
                return new Outcome(ErrorCode.InvalidConfig, problem);
            if (!configs.TryAdd(name, value!))
                return new Outcome(ErrorCode.InvalidRequest, $"Duplicate config key {name}.");
        }
        return CheckTopicConfigsTogether(configs);
    }

    private Outcome CheckTopicConfigsTogether(IReadOnlyDictionary<string, string> configs)
    {
        try
        {
            LogConfig.FromProperties(configs, _settings.LogDefaults);
            return Outcome.Ok;
        }
        catch (InvalidLogConfigException e)
        {
            return new Outcome(ErrorCode.InvalidConfig, e.Message);
        }
    }
}
