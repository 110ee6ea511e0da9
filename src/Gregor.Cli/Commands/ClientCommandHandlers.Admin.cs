using Gregor.Cli.Output;
using Gregor.Client;
using Gregor.Client.Admin;

namespace Gregor.Cli.Commands;

// Topic, cluster and offsets commands, through the admin client.
internal sealed partial class ClientCommandHandlers
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(30);

    private static IAdminClient AdminFor(ClientTarget target) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = target.Bootstrap, ClientId = "gregor-cli" }).Build();

    /// <summary>A failure the command found itself (an unknown topic, a refused reset): one line, exit 1.</summary>
    private async Task<int> Fail(string command, string why)
    {
        await _error.WriteLineAsync($"gregor {command}: {why}").ConfigureAwait(false);
        return 1;
    }

    private static string Describe(IReadOnlyDictionary<string, string> set, IReadOnlyList<string> deleted) =>
        string.Join("; ", new[]
        {
            set.Count > 0 ? "set " + string.Join(", ", set.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}")) : null,
            deleted.Count > 0 ? "reset to default " + string.Join(", ", deleted) : null,
        }.Where(part => part is not null));

    public Task<int> TopicCreateAsync(TopicCreateArgs args, CancellationToken cancellationToken) => Guarded("topic create", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = args.Topic,
                NumPartitions = args.Partitions,
                ReplicationFactor = args.ReplicationFactor,
                Configs = args.Configs.ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal),
            }]).ConfigureAwait(false);
        }
        catch (CreateTopicsException e) when (args.IfNotExists && e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            new ResultWriter(_out, args.Target.Output).Action(new ActionView("Kept", args.Topic, "it already exists"));
            return 0;
        }
        new ResultWriter(_out, args.Target.Output).Action(new ActionView("Created", args.Topic, ""));
        return 0;
    });

    public Task<int> TopicListAsync(TopicListArgs args, CancellationToken cancellationToken) => Guarded("topic list", args.Target, () =>
    {
        using var admin = AdminFor(args.Target);
        var topics = admin.GetMetadata(MetadataTimeout).Topics
            .Where(t => !args.ExcludeInternal || !t.IsInternal)
            .Select(t => t.Topic)
            .Order(StringComparer.Ordinal)
            .ToList();
        new ResultWriter(_out, args.Target.Output).TopicList(topics);
        return Task.FromResult(0);
    });

    public Task<int> TopicDescribeAsync(TopicDescribeArgs args, CancellationToken cancellationToken) => Guarded("topic describe", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        if (args.Topic is null) return await DescribeEveryTopicAsync(admin, args).ConfigureAwait(false);
        var topic = admin.GetMetadata(args.Topic, MetadataTimeout).Topics.SingleOrDefault(t => t.Topic == args.Topic);
        if (topic is null || topic.Error.Code == ErrorCode.UnknownTopicOrPartition) return await Fail("topic describe", $"topic '{args.Topic}' does not exist").ConfigureAwait(false);
        if (topic.Error.IsError) return await Fail("topic describe", $"topic '{args.Topic}': {topic.Error.Reason}").ConfigureAwait(false);
        var configs = (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = args.Topic }]).ConfigureAwait(false)).Single();
        new ResultWriter(_out, args.Target.Output).TopicDescription(DescriptionOf(topic, configs, args));
        return 0;
    });

    /// <summary>
    /// Every topic (kafka-topics --describe without --topic), in name order, settings asked for in one request. With a
    /// partition filter, as there, a topic none of whose partitions it keeps is left out.
    /// </summary>
    private async Task<int> DescribeEveryTopicAsync(IAdminClient admin, TopicDescribeArgs args)
    {
        var topics = admin.GetMetadata(MetadataTimeout).Topics
            .Where(t => !t.Error.IsError && !(args.ExcludeInternal && t.IsInternal))
            .OrderBy(t => t.Topic, StringComparer.Ordinal)
            .ToList();
        var configs = topics.Count == 0 ? []
            : (await admin.DescribeConfigsAsync([.. topics.Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t.Topic })]).ConfigureAwait(false))
                .ToDictionary(c => c.ConfigResource.Name, StringComparer.Ordinal);
        bool filtered = args.UnderReplicatedOnly || args.UnavailableOnly;
        var views = topics
            .Select(t => DescriptionOf(t, configs.GetValueOrDefault(t.Topic), args))
            .Where(view => !filtered || view.Partitions.Count > 0)
            .ToList();
        new ResultWriter(_out, args.Target.Output).TopicDescriptions(views);
        return 0;
    }

    private static TopicDescriptionView DescriptionOf(TopicMetadata topic, DescribeConfigsResult? configs, TopicDescribeArgs args)
    {
        // As kafka-topics --describe: only the settings that differ from the defaults, secrets masked.
        var overrides = (configs?.Entries.Values ?? Enumerable.Empty<ConfigEntryResult>())
            .Where(c => c.Source != ConfigSource.DefaultConfig)
            .ToDictionary(c => c.Name, c => c.IsSensitive ? "(sensitive)" : c.Value ?? "(null)", StringComparer.Ordinal);
        var partitions = topic.Partitions.Select(p => new PartitionView(p.PartitionId, p.Leader, p.Replicas, p.InSyncReplicas))
            // The filters, as kafka-topics': either one keeps the partitions it names.
            .Where(p => !(args.UnderReplicatedOnly || args.UnavailableOnly) || (args.UnderReplicatedOnly && p.UnderReplicated) || (args.UnavailableOnly && p.Offline))
            .ToList();
        int replicationFactor = topic.Partitions.Count > 0 ? topic.Partitions[0].Replicas.Length : 0;
        return new TopicDescriptionView(topic.Topic, topic.Partitions.Count, replicationFactor, partitions, overrides);
    }

    public Task<int> TopicAlterAsync(TopicAlterArgs args, CancellationToken cancellationToken) => Guarded("topic alter", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        var entries = args.SetConfigs.Select(c => new ConfigEntry { Name = c.Key, Value = c.Value, IncrementalOperation = AlterConfigOpType.Set })
            .Concat(args.DeleteConfigs.Select(name => new ConfigEntry { Name = name, IncrementalOperation = AlterConfigOpType.Delete }))
            .ToList();
        try
        {
            await admin.IncrementalAlterConfigsAsync(new() { [new ConfigResource { Type = ResourceType.Topic, Name = args.Topic }] = entries }).ConfigureAwait(false);
        }
        catch (IncrementalAlterConfigsException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPartition)
        {
            return await Fail("topic alter", $"topic '{args.Topic}' does not exist").ConfigureAwait(false);
        }
        new ResultWriter(_out, args.Target.Output).Action(new ActionView("Altered", args.Topic, Describe(args.SetConfigs, args.DeleteConfigs)));
        return 0;
    });

    public Task<int> TopicDeleteAsync(TopicDeleteArgs args, CancellationToken cancellationToken) => Guarded("topic delete", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        try
        {
            await admin.DeleteTopicsAsync([args.Topic]).ConfigureAwait(false);
        }
        catch (DeleteTopicsException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPartition)
        {
            if (!args.IfExists) return await Fail("topic delete", $"topic '{args.Topic}' does not exist").ConfigureAwait(false);
            new ResultWriter(_out, args.Target.Output).Action(new ActionView("Skipped", args.Topic, "it does not exist"));
            return 0;
        }
        new ResultWriter(_out, args.Target.Output).Action(new ActionView("Deleted", args.Topic, ""));
        return 0;
    });

    public Task<int> TopicAddPartitionsAsync(TopicAddPartitionsArgs args, CancellationToken cancellationToken) => Guarded("topic add-partitions", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        try
        {
            await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = args.Topic, IncreaseTo = args.TotalPartitions }]).ConfigureAwait(false);
        }
        catch (CreatePartitionsException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPartition)
        {
            return await Fail("topic add-partitions", $"topic '{args.Topic}' does not exist").ConfigureAwait(false);
        }
        new ResultWriter(_out, args.Target.Output).Action(new ActionView("Grew", args.Topic, $"{args.TotalPartitions} partitions now"));
        return 0;
    });

    public Task<int> ClusterInfoAsync(ClusterInfoArgs args, CancellationToken cancellationToken) => Guarded("cluster info", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        var cluster = await admin.DescribeClusterAsync().ConfigureAwait(false);
        new ResultWriter(_out, args.Target.Output).Cluster(new ClusterView(cluster.ClusterId, cluster.Controller?.Id ?? -1,
            [.. cluster.Nodes.Select(n => new BrokerView(n.Id, n.Host, n.Port, n.Rack))]));
        return 0;
    });

    public Task<int> ClusterDescribeAsync(ClusterDescribeArgs args, CancellationToken cancellationToken) => Guarded("cluster describe", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        var cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { IncludeFencedBrokers = true }).ConfigureAwait(false);
        if (!cluster.IncludesFencedBrokers)
            await _error.WriteLineAsync("gregor cluster describe: fenced brokers could not be asked for (DescribeCluster below v2, or answered by a controller): any fenced broker is missing").ConfigureAwait(false);
        var (controller, source) = await ActiveControllerAsync(admin, cluster).ConfigureAwait(false);
        new ResultWriter(_out, args.Target.Output).ClusterDescription(new ClusterDescriptionView(cluster.ClusterId, controller,
            [.. cluster.Nodes.Select(n => new ClusterBrokerView(n.Id, n.Host, n.Port, n.Rack, n.IsFenced, IsController: n.Id == controller))],
            source, cluster.IncludesFencedBrokers));
        return 0;
    });

    /// <summary>
    /// The active controller: the metadata quorum's leader (DescribeQuorum, which a broker forwards to the active
    /// controller). A KRaft broker names itself as controller in DescribeCluster, as Kafka's do, so that id is only the
    /// fallback, when the quorum cannot be described (no DescribeQuorum, an error, no leader), and is said to be one.
    /// </summary>
    private async Task<(int Id, string Source)> ActiveControllerAsync(IAdminClient admin, DescribeClusterResult cluster)
    {
        string why;
        try
        {
            var quorum = await admin.DescribeMetadataQuorumAsync().ConfigureAwait(false);
            if (quorum.LeaderId >= 0) return (quorum.LeaderId, ClusterDescriptionView.FromMetadataQuorum);
            why = "it has no leader";
        }
        catch (KafkaException e)
        {
            why = e.Error.Reason;
        }
        await _error.WriteLineAsync($"gregor cluster describe: the metadata quorum could not be described ({why}); the controller shown is the one DescribeCluster names")
            .ConfigureAwait(false);
        return (cluster.Controller?.Id ?? -1, ClusterDescriptionView.FromDescribeCluster);
    }

    public Task<int> ClusterQuorumAsync(ClusterQuorumArgs args, CancellationToken cancellationToken) => Guarded("cluster quorum", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        var quorum = await admin.DescribeMetadataQuorumAsync().ConfigureAwait(false);
        var writer = new ResultWriter(_out, args.Target.Output);
        if (args.View == QuorumView.Replication)
        {
            writer.QuorumReplication(QuorumViews.Replication(quorum));
            return 0;
        }
        var cluster = await admin.DescribeClusterAsync().ConfigureAwait(false);
        writer.QuorumStatus(QuorumViews.Status(cluster.ClusterId, quorum));
        return 0;
    });

    public Task<int> OffsetsAsync(OffsetsArgs args, CancellationToken cancellationToken) => Guarded("offsets", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        if (await PartitionsOfAsync(admin, "offsets", args.Topic, args.Partition is { } only ? [only] : null).ConfigureAwait(false) is not { } partitions)
            return 1;
        var bounds = await LogBoundsAsync(admin, partitions).ConfigureAwait(false);
        if (bounds.Values.Select(b => b.Error).FirstOrDefault(e => e.IsError) is { } failed)
            return await Fail("offsets", failed.Reason).ConfigureAwait(false);
        new ResultWriter(_out, args.Target.Output).Offsets([.. partitions.Select(tp => new PartitionOffsetsView(tp.Topic, tp.Partition, bounds[tp].Earliest, bounds[tp].LogEnd))]);
        return 0;
    });

    /// <summary>
    /// The topic's partitions (all, or the ones named, which must exist); null after printing why when the
    /// topic or a partition does not exist.
    /// </summary>
    private async Task<List<TopicPartition>?> PartitionsOfAsync(IAdminClient admin, string command, string topic, IReadOnlyList<int>? only)
    {
        var metadata = admin.GetMetadata(topic, MetadataTimeout).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.Code == ErrorCode.UnknownTopicOrPartition)
        {
            await Fail(command, $"topic '{topic}' does not exist").ConfigureAwait(false);
            return null;
        }
        if (metadata.Error.IsError)
        {
            await Fail(command, $"topic '{topic}': {metadata.Error.Reason}").ConfigureAwait(false);
            return null;
        }
        var existing = metadata.Partitions.Select(p => p.PartitionId).Order().ToList();
        if (only?.FirstOrDefault(p => !existing.Contains(p), -1) is { } missing and >= 0)
        {
            await Fail(command, $"topic '{topic}' has no partition {missing} (it has {existing.Count})").ConfigureAwait(false);
            return null;
        }
        return [.. (only ?? existing).Order().Select(p => new TopicPartition(topic, p))];
    }

    /// <summary>A partition's earliest and log-end offsets, or the error met asking for them.</summary>
    private readonly record struct LogBounds(long Earliest, long LogEnd, Error Error);

    private static async Task<Dictionary<TopicPartition, LogBounds>> LogBoundsAsync(IAdminClient admin, IReadOnlyList<TopicPartition> partitions)
    {
        var earliest = await OffsetsForAsync(admin, partitions, OffsetSpec.Earliest()).ConfigureAwait(false);
        var latest = await OffsetsForAsync(admin, partitions, OffsetSpec.Latest()).ConfigureAwait(false);
        return partitions.ToDictionary(tp => tp, tp =>
        {
            var (e, l) = (earliest[tp], latest[tp]);
            var error = e.Error.IsError ? e.Error : l.Error;
            return new LogBounds(e.Offset.Value, l.Offset.Value, error);
        });
    }

    /// <summary>ListOffsets for each partition, keeping each partition's own error instead of failing them all.</summary>
    private static async Task<Dictionary<TopicPartition, TopicPartitionOffsetError>> OffsetsForAsync(IAdminClient admin,
        IReadOnlyList<TopicPartition> partitions, OffsetSpec spec)
    {
        if (partitions.Count == 0) return [];
        List<ListOffsetsResultInfo> infos;
        try
        {
            infos = (await admin.ListOffsetsAsync(partitions.Select(tp => new TopicPartitionOffsetSpec { TopicPartition = tp, OffsetSpec = spec })).ConfigureAwait(false)).ResultInfos;
        }
        catch (ListOffsetsException e)
        {
            infos = e.Results;
        }
        var byPartition = infos.ToDictionary(i => new TopicPartition(i.TopicPartitionOffsetError.Topic, i.TopicPartitionOffsetError.Partition), i => i.TopicPartitionOffsetError);
        return partitions.ToDictionary(tp => tp, tp => byPartition.TryGetValue(tp, out var found) ? found
            : new TopicPartitionOffsetError(tp.Topic, tp.Partition, Offset.Unset, new Error(ErrorCode.Local_BadMsg, $"no answer for {tp.Topic} {tp.Partition}")));
    }
}
