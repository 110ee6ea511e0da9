using Confluent.Kafka;
using Confluent.Kafka.Admin;
using static ConfluentInterop.Interop;

namespace ConfluentInterop;

/// <summary>
/// admin: Confluent.Kafka's AdminClient. CreateTopics with two good topics, a replication factor
/// the single broker cannot give and an invalid name in one request (per-topic results), a
/// duplicate, validate-only; GetMetadata and DescribeTopics (leader, replicas, ISR, topic id);
/// DescribeCluster (the cluster id in meta.properties, the one node, the controller; librdkafka asks it with Metadata);
/// CreatePartitions 3 → 5 and a refused shrink; DescribeConfigs with sources;
/// IncrementalAlterConfigs SET/DELETE/APPEND/SUBTRACT (others untouched), validate-only, a bad value;
/// DeleteTopics, and again.
/// </summary>
internal static class AdminCase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(string[] args)
    {
        var versions = new RequestVersions();
        var config = new AdminClientConfig { BootstrapServers = Bootstrap };
        RequestVersions.Configure(config);
        using var admin = new AdminClientBuilder(config).SetLogHandler(versions.Handler).Build();
        var (host, port) = SplitBootstrap(Bootstrap);
        var createOptions = new CreateTopicsOptions { OperationTimeout = Timeout, RequestTimeout = Timeout };

        string topic = UniqueTopic("dotnet-admin"), other = UniqueTopic("dotnet-admin-other");
        string tooReplicated = UniqueTopic("dotnet-admin-rf"), badName = UniqueTopic("dotnet admin/bad");
        var results = await CreateAsync(admin, [
            new TopicSpecification
            {
                Name = topic, NumPartitions = 3, ReplicationFactor = 1,
                Configs = new() { ["retention.ms"] = "3600000", ["max.message.bytes"] = "500000", ["retention.bytes"] = "1000000000" },
            },
            new TopicSpecification { Name = other, NumPartitions = 1, ReplicationFactor = 1 },
            new TopicSpecification { Name = tooReplicated, NumPartitions = 1, ReplicationFactor = 3 },
            new TopicSpecification { Name = badName, NumPartitions = 1, ReplicationFactor = 1 },
        ], createOptions);
        Check(results[topic] == ErrorCode.NoError && results[other] == ErrorCode.NoError,
            $"creating {topic} and {other}: {results[topic]}, {results[other]}");
        Check(results[tooReplicated] == ErrorCode.InvalidReplicationFactor,
            $"replication factor 3 on one broker: {results[tooReplicated]}, Kafka gives INVALID_REPLICATION_FACTOR (38)");
        Check(results[badName] == ErrorCode.TopicException,
            $"topic name '{badName}': {results[badName]}, Kafka gives INVALID_TOPIC_EXCEPTION (17)");
        await WaitForLeadersAsync(admin, topic, 3);
        await WaitForLeadersAsync(admin, other, 1);
        Log($"one CreateTopics: {topic} (3 partitions, 3 configs) and {other} created, replication factor 3 → 38, '{badName}' → 17");

        var again = await CreateAsync(admin, [new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }], createOptions);
        Check(again[topic] == ErrorCode.TopicAlreadyExists, $"second create of {topic}: {again[topic]}, Kafka gives TOPIC_ALREADY_EXISTS (36)");
        string never = UniqueTopic("dotnet-admin-validate");
        var validated = await CreateAsync(admin, [new TopicSpecification { Name = never, NumPartitions = 2, ReplicationFactor = 1 }],
            new CreateTopicsOptions { ValidateOnly = true, RequestTimeout = Timeout });
        Check(validated[never] == ErrorCode.NoError, $"validate-only create: {validated[never]}");
        // GetMetadata of all topics: librdkafka 2.16 sends this Metadata v12 request with three bytes after the body,
        // which Kafka ignores; so must the broker.
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        var names = metadata.Topics.Select(t => t.Topic).ToHashSet();
        Check(names.Contains(topic) && names.Contains(other), $"metadata of all topics lacks {topic} or {other}: [{string.Join(", ", names)}]");
        foreach (string absent in new[] { never, tooReplicated, badName })
            Check(!names.Contains(absent), $"{absent} was created; metadata lists it");
        // DescribeTopics, not GetMetadata(topic): librdkafka asks the latter with allow_auto_topic_creation, which would create it.
        foreach (string absent in new[] { never, tooReplicated })
        {
            var code = await DescribeErrorAsync(admin, absent);
            Check(code == ErrorCode.UnknownTopicOrPart, $"DescribeTopics of {absent}: {code}; it was never created, Kafka gives UNKNOWN_TOPIC_OR_PARTITION (3)");
        }
        Log("duplicate → 36; validate-only and refused topics are not created (DescribeTopics of them → 3)");

        metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        Check(metadata.Brokers.Count == 1, $"metadata lists brokers {string.Join(", ", metadata.Brokers)}, expected one");
        var broker = metadata.Brokers[0];
        Check(broker.Host == host && broker.Port == port, $"the broker is listed at {broker.Host}:{broker.Port}, it listens on {host}:{port}");
        var topicMetadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single();
        Check(topicMetadata.Partitions.Select(p => p.PartitionId).Order().SequenceEqual([0, 1, 2]),
            $"GetMetadata({topic}) partitions [{string.Join(",", topicMetadata.Partitions.Select(p => p.PartitionId))}]");
        foreach (var p in topicMetadata.Partitions)
            Check(p.Leader == broker.BrokerId && p.Replicas.SequenceEqual([broker.BrokerId]) && p.InSyncReplicas.SequenceEqual([broker.BrokerId]),
                $"partition {p.PartitionId}: leader {p.Leader}, replicas [{string.Join(",", p.Replicas)}], isr [{string.Join(",", p.InSyncReplicas)}]; expected broker {broker.BrokerId}");

        var described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic, other]), new DescribeTopicsOptions { RequestTimeout = Timeout });
        Check(described.TopicDescriptions.Select(t => t.Name).Order().SequenceEqual(new[] { topic, other }.Order()),
            $"DescribeTopics gave [{string.Join(", ", described.TopicDescriptions.Select(t => t.Name))}]");
        foreach (var description in described.TopicDescriptions)
        {
            int expected = description.Name == topic ? 3 : 1;
            Check(!description.Error.IsError && !description.IsInternal && description.TopicId is not null && description.TopicId.ToString() != "AAAAAAAAAAAAAAAAAAAAAA",
                $"DescribeTopics {description.Name}: error {description.Error.Code}, internal {description.IsInternal}, id {description.TopicId}");
            Check(description.Partitions.Select(p => p.Partition).Order().SequenceEqual(Enumerable.Range(0, expected)),
                $"DescribeTopics {description.Name}: partitions [{string.Join(",", description.Partitions.Select(p => p.Partition))}], expected {expected}");
            foreach (var p in description.Partitions)
                Check(p.Leader is { } leader && leader.Id == broker.BrokerId && leader.Host == host && leader.Port == port
                      && p.Replicas.Select(n => n.Id).SequenceEqual([broker.BrokerId]) && p.ISR.Select(n => n.Id).SequenceEqual([broker.BrokerId]),
                    $"DescribeTopics {description.Name}[{p.Partition}]: leader {p.Leader}, replicas [{string.Join(",", p.Replicas)}], isr [{string.Join(",", p.ISR)}]");
        }
        Log($"GetMetadata and DescribeTopics: broker {broker.BrokerId} at {host}:{port} leads every partition, replicas = ISR = it, topic ids set");

        var cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = Timeout });
        string storedClusterId = ReadClusterId();
        Check(cluster.ClusterId == storedClusterId, $"DescribeCluster cluster id {cluster.ClusterId}, meta.properties has {storedClusterId}");
        Check(cluster.Nodes.Count == 1 && cluster.Nodes[0].Id == broker.BrokerId && cluster.Nodes[0].Host == host && cluster.Nodes[0].Port == port,
            $"DescribeCluster nodes [{string.Join(", ", cluster.Nodes)}], expected broker {broker.BrokerId} at {host}:{port}");
        Check(cluster.Controller?.Id == broker.BrokerId, $"DescribeCluster controller {cluster.Controller}, expected broker {broker.BrokerId}");
        Log($"DescribeCluster: cluster id {cluster.ClusterId} (as in meta.properties), one node, controller {cluster.Controller?.Id}");

        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = 5 }], new CreatePartitionsOptions { RequestTimeout = Timeout });
        await WaitForLeadersAsync(admin, topic, 5);
        try
        {
            await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = 2 }], new CreatePartitionsOptions { RequestTimeout = Timeout });
            Check(false, "CreatePartitions 5 → 2 succeeded");
        }
        catch (CreatePartitionsException failure)
        {
            var code = failure.Results.Single().Error.Code;
            Check(code == ErrorCode.InvalidPartitions, $"CreatePartitions 5 → 2: {code}, Kafka gives INVALID_PARTITIONS (37)");
        }
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = Bootstrap, Acks = Acks.All }).Build())
        {
            var delivered = await producer.ProduceAsync(new TopicPartition(topic, 4), new Message<Null, string> { Value = "to the new partition" });
            Check(delivered.Status == PersistenceStatus.Persisted && delivered.Offset == 0, $"produce to partition 4: {delivered.Status} at {delivered.Offset}");
        }
        Log("CreatePartitions 3 → 5 (partition 4 takes a record at offset 0), 5 → 2 → 37");

        var configs = await DescribeAsync(admin, topic);
        CheckEntry(configs, "retention.ms", "3600000", ConfigSource.DynamicTopicConfig);
        CheckEntry(configs, "max.message.bytes", "500000", ConfigSource.DynamicTopicConfig);
        CheckEntry(configs, "cleanup.policy", "delete", ConfigSource.DefaultConfig);
        CheckEntry(configs, "segment.bytes", "1073741824", ConfigSource.DefaultConfig);
        Log("DescribeConfigs: the creation's overrides as DYNAMIC_TOPIC_CONFIG, cleanup.policy and segment.bytes as DEFAULT_CONFIG");

        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };
        await AlterAsync(admin, resource, [
            new ConfigEntry { Name = "retention.ms", Value = "7200000", IncrementalOperation = AlterConfigOpType.Set },
            new ConfigEntry { Name = "max.message.bytes", IncrementalOperation = AlterConfigOpType.Delete },
            new ConfigEntry { Name = "cleanup.policy", Value = "compact", IncrementalOperation = AlterConfigOpType.Append },
        ]);
        configs = await DescribeAsync(admin, topic);
        CheckEntry(configs, "retention.ms", "7200000", ConfigSource.DynamicTopicConfig);
        CheckEntry(configs, "max.message.bytes", "1048588", ConfigSource.DefaultConfig);
        CheckEntry(configs, "retention.bytes", "1000000000", ConfigSource.DynamicTopicConfig);
        CheckEntry(configs, "cleanup.policy", "delete,compact", ConfigSource.DynamicTopicConfig);
        await AlterAsync(admin, resource, [new ConfigEntry { Name = "cleanup.policy", Value = "delete", IncrementalOperation = AlterConfigOpType.Subtract }]);
        CheckEntry(await DescribeAsync(admin, topic), "cleanup.policy", "compact", ConfigSource.DynamicTopicConfig);

        await admin.IncrementalAlterConfigsAsync(
            new() { [resource] = [new ConfigEntry { Name = "retention.ms", Value = "60000", IncrementalOperation = AlterConfigOpType.Set }] },
            new IncrementalAlterConfigsOptions { ValidateOnly = true, RequestTimeout = Timeout });
        CheckEntry(await DescribeAsync(admin, topic), "retention.ms", "7200000", ConfigSource.DynamicTopicConfig);
        var refused = await AlterErrorAsync(admin, resource, [new ConfigEntry { Name = "retention.ms", Value = "soon", IncrementalOperation = AlterConfigOpType.Set }]);
        Check(refused == ErrorCode.InvalidConfig, $"IncrementalAlterConfigs retention.ms=soon: {refused}, Kafka gives INVALID_CONFIG (40)");
        CheckEntry(await DescribeAsync(admin, topic), "retention.ms", "7200000", ConfigSource.DynamicTopicConfig);
        var unknown = await AlterErrorAsync(admin, new ConfigResource { Type = ResourceType.Topic, Name = never },
            [new ConfigEntry { Name = "retention.ms", Value = "1000", IncrementalOperation = AlterConfigOpType.Set }]);
        Check(unknown == ErrorCode.UnknownTopicOrPart, $"IncrementalAlterConfigs on an unknown topic: {unknown}, Kafka gives UNKNOWN_TOPIC_OR_PARTITION (3)");
        Log("IncrementalAlterConfigs: SET, DELETE (back to the default), APPEND and SUBTRACT on cleanup.policy, other overrides untouched; validate-only changes nothing; bad value → 40, unknown topic → 3");

        await admin.DeleteTopicsAsync([topic, other], new DeleteTopicsOptions { OperationTimeout = Timeout, RequestTimeout = Timeout });
        var left = new Dictionary<string, ErrorCode>();
        await WaitForAsync(async () =>
        {
            foreach (string deleted in new[] { topic, other }) left[deleted] = await DescribeErrorAsync(admin, deleted);
            return left.Values.All(code => code == ErrorCode.UnknownTopicOrPart);
        }, TimeSpan.FromSeconds(15), () => $"after DeleteTopics, DescribeTopics gives {Show(left)}; expected UNKNOWN_TOPIC_OR_PARTITION");
        try
        {
            await admin.DeleteTopicsAsync([topic], new DeleteTopicsOptions { RequestTimeout = Timeout });
            Check(false, $"deleting {topic} again succeeded");
        }
        catch (DeleteTopicsException failure)
        {
            var code = failure.Results.Single().Error.Code;
            Check(code == ErrorCode.UnknownTopicOrPart, $"deleting {topic} again: {code}, Kafka gives UNKNOWN_TOPIC_OR_PARTITION (3)");
        }
        Log("DeleteTopics removed both, deleting again → 3; requests: " + versions.Summary(
            "CreateTopics", "Metadata", "CreatePartitions", "DescribeConfigs", "IncrementalAlterConfigs", "DeleteTopics")
            + SkippedSummary);
    }

    private static async Task<Dictionary<string, ErrorCode>> CreateAsync(IAdminClient admin, List<TopicSpecification> topics, CreateTopicsOptions options)
    {
        try
        {
            await admin.CreateTopicsAsync(topics, options);
            return topics.ToDictionary(t => t.Name, _ => ErrorCode.NoError);
        }
        catch (CreateTopicsException failure)
        {
            return failure.Results.ToDictionary(r => r.Topic, r => r.Error.Code);
        }
    }

    private static async Task<ErrorCode> DescribeErrorAsync(IAdminClient admin, string topic)
    {
        try
        {
            var described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic]), new DescribeTopicsOptions { RequestTimeout = Timeout });
            return described.TopicDescriptions.Single().Error.Code;
        }
        catch (DescribeTopicsException failure)
        {
            return failure.Results.TopicDescriptions.Single().Error.Code;
        }
    }

    private static async Task<Dictionary<string, ConfigEntryResult>> DescribeAsync(IAdminClient admin, string topic)
    {
        var results = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = topic }],
            new DescribeConfigsOptions { RequestTimeout = Timeout });
        return results.Single().Entries;
    }

    private static void CheckEntry(Dictionary<string, ConfigEntryResult> configs, string name, string value, ConfigSource source)
    {
        Check(configs.TryGetValue(name, out var entry), $"{name} missing from DescribeConfigs ({configs.Count} entries)");
        Check(entry!.Value == value && entry.Source == source && entry.IsDefault == (source == ConfigSource.DefaultConfig),
            $"{name}: value {entry.Value}, source {entry.Source}, default {entry.IsDefault}; expected {value} from {source}");
    }

    private static Task AlterAsync(IAdminClient admin, ConfigResource resource, List<ConfigEntry> entries) =>
        admin.IncrementalAlterConfigsAsync(new() { [resource] = entries }, new IncrementalAlterConfigsOptions { RequestTimeout = Timeout });

    private static async Task<ErrorCode> AlterErrorAsync(IAdminClient admin, ConfigResource resource, List<ConfigEntry> entries)
    {
        try
        {
            await AlterAsync(admin, resource, entries);
            return ErrorCode.NoError;
        }
        catch (IncrementalAlterConfigsException failure)
        {
            return failure.Results.Single().Error.Code;
        }
    }

    private static (string Host, int Port) SplitBootstrap(string bootstrap)
    {
        int colon = bootstrap.LastIndexOf(':');
        return (bootstrap[..colon], int.Parse(bootstrap[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The cluster id the broker keeps in its log dir's meta.properties (KRaft form).</summary>
    private static string ReadClusterId()
    {
        string path = Path.Combine(Env("GREGOR_DATA_DIR"), "meta.properties");
        Check(File.Exists(path), $"no {path}");
        string? line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("cluster.id=", StringComparison.Ordinal));
        Check(line is not null, $"{path} has no cluster.id");
        return line!["cluster.id=".Length..];
    }
}
