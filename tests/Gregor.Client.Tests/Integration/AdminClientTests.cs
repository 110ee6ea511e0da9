using Gregor.Client.Admin;

namespace Gregor.Client.Tests.Integration;

public sealed class AdminClientTests
{
    private static IAdminClient Admin(ClientTestBroker broker) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();

    [Fact]
    public async Task Topics_are_created_listed_grown_and_deleted_and_errors_name_each_topic()
    {
        await using var broker = await ClientTestBroker.StartAsync("auto.create.topics.enable=false");
        using var admin = Admin(broker);

        await admin.CreateTopicsAsync([
            new TopicSpecification { Name = "orders", NumPartitions = 3, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "3600000" } },
            new TopicSpecification { Name = "audit", NumPartitions = 1, ReplicationFactor = 1 },
        ]);
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        var orders = metadata.Topics.Single(t => t.Topic == "orders");
        Assert.Equal([0, 1, 2], orders.Partitions.Select(p => p.PartitionId));
        Assert.All(orders.Partitions, p => Assert.Equal(metadata.Brokers.Single().BrokerId, p.Leader));
        Assert.Contains(metadata.Topics, t => t.Topic == "audit");

        var again = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([
            new TopicSpecification { Name = "orders", NumPartitions = 1, ReplicationFactor = 1 },
            new TopicSpecification { Name = "fresh", NumPartitions = 1, ReplicationFactor = 1 },
        ]));
        Assert.Equal(ErrorCode.TopicAlreadyExists, again.Results.Single(r => r.Topic == "orders").Error.Code);
        Assert.False(again.Results.Single(r => r.Topic == "fresh").Error.IsError);

        var invalid = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification { Name = "zero", NumPartitions = 0, ReplicationFactor = 1 }]));
        Assert.Equal(ErrorCode.InvalidPartitions, invalid.Results.Single().Error.Code);

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "dry", NumPartitions = 1, ReplicationFactor = 1 }], new CreateTopicsOptions { ValidateOnly = true });
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, admin.GetMetadata("dry", TimeSpan.FromSeconds(10)).Topics.Single().Error.Code);

        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "orders", IncreaseTo = 5 }]);
        Assert.Equal(5, admin.GetMetadata("orders", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count);
        var shrink = await Assert.ThrowsAsync<CreatePartitionsException>(() => admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "orders", IncreaseTo = 2 }]));
        Assert.Equal(ErrorCode.InvalidPartitions, shrink.Results.Single().Error.Code);

        await admin.DeleteTopicsAsync(["audit"]);
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == "audit");
        var missing = await Assert.ThrowsAsync<DeleteTopicsException>(() => admin.DeleteTopicsAsync(["audit"]));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, missing.Results.Single().Error.Code);
    }

    [Fact]
    public async Task Configs_are_described_altered_incrementally_and_replaced()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        using var admin = Admin(broker);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "conf", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } }]);
        var topic = new ConfigResource { Type = ResourceType.Topic, Name = "conf" };

        var described = (await admin.DescribeConfigsAsync([topic])).Single();
        Assert.Equal("compact", described.Entries["cleanup.policy"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, described.Entries["cleanup.policy"].Source);
        Assert.True(described.Entries["retention.ms"].IsDefault);

        await admin.IncrementalAlterConfigsAsync(new() { [topic] = [new ConfigEntry { Name = "retention.ms", Value = "1000", IncrementalOperation = AlterConfigOpType.Set }] });
        described = (await admin.DescribeConfigsAsync([topic])).Single();
        Assert.Equal("1000", described.Entries["retention.ms"].Value);
        Assert.Equal("compact", described.Entries["cleanup.policy"].Value);

        await admin.AlterConfigsAsync(new() { [topic] = [new ConfigEntry { Name = "segment.bytes", Value = "1048576" }] });
        described = (await admin.DescribeConfigsAsync([topic])).Single();
        Assert.Equal("1048576", described.Entries["segment.bytes"].Value);
        Assert.True(described.Entries["cleanup.policy"].IsDefault); // AlterConfigs replaces the whole set

        var bad = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new() { [topic] = [new ConfigEntry { Name = "retention.ms", Value = "soon" }] }));
        Assert.Equal(ErrorCode.InvalidConfig, bad.Results.Single().Error.Code);
        var unknown = await Assert.ThrowsAsync<DescribeConfigsException>(() => admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "nope" }]));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, unknown.Results.Single().Error.Code);

        var brokerConfigs = (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = "1" }])).Single();
        Assert.True(brokerConfigs.Entries.ContainsKey("log.dirs") || brokerConfigs.Entries.Count > 5);
    }

    [Fact]
    public async Task The_metadata_quorum_is_described_by_its_leader()
    {
        long started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var broker = await ClientTestBroker.StartAsync();
        using var admin = Admin(broker);
        int nodeId = (await admin.DescribeClusterAsync()).Nodes.Single().Id;

        var quorum = await admin.DescribeMetadataQuorumAsync();
        Assert.Equal(nodeId, quorum.LeaderId);
        Assert.True(quorum.LeaderEpoch >= 1, $"epoch {quorum.LeaderEpoch}");
        Assert.True(quorum.HighWatermark > 0, $"high watermark {quorum.HighWatermark}");
        var voter = quorum.Voters.Single();
        Assert.Equal((nodeId, quorum.HighWatermark), (voter.ReplicaId, voter.LogEndOffset));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.InRange(voter.LastFetchTimestamp ?? -1, started - 1000, now + 1000);
        Assert.InRange(voter.LastCaughtUpTimestamp ?? -1, started - 1000, now + 1000);
        Assert.Empty(quorum.Observers);
        var endpoint = quorum.Nodes[nodeId].Endpoints.Single();
        Assert.Equal($"PLAINTEXT://127.0.0.1:{broker.Port}", endpoint.ToString());

        // Each metadata change moves the high watermark.
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "q", NumPartitions = 1, ReplicationFactor = 1 }]);
        Assert.True((await admin.DescribeMetadataQuorumAsync()).HighWatermark > quorum.HighWatermark);
    }

    [Fact]
    public async Task Cluster_is_described_and_offsets_are_listed_by_earliest_latest_and_timestamp()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        using var admin = Admin(broker);
        var cluster = await admin.DescribeClusterAsync();
        Assert.False(string.IsNullOrEmpty(cluster.ClusterId));
        Assert.Equal(broker.Port, cluster.Nodes.Single().Port);

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "offs", NumPartitions = 2, ReplicationFactor = 1 }]);
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
            for (int i = 0; i < 10; i++)
                await producer.ProduceAsync(new TopicPartition("offs", 0), new Message<Null, string> { Value = "v" + i, Timestamp = new Timestamp(1_000_000 + (i * 1000), TimestampType.CreateTime) });

        var tp = new TopicPartition("offs", 0);
        var result = await admin.ListOffsetsAsync([
            new TopicPartitionOffsetSpec { TopicPartition = tp, OffsetSpec = OffsetSpec.Earliest() },
            new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition("offs", 1), OffsetSpec = OffsetSpec.Latest() },
        ]);
        Assert.Equal(0, result.ResultInfos.Single(r => r.TopicPartitionOffsetError.Partition == 0).TopicPartitionOffsetError.Offset.Value);
        Assert.Equal(0, result.ResultInfos.Single(r => r.TopicPartitionOffsetError.Partition == 1).TopicPartitionOffsetError.Offset.Value);
        var latest = await admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = tp, OffsetSpec = OffsetSpec.Latest() }]);
        Assert.Equal(10, latest.ResultInfos.Single().TopicPartitionOffsetError.Offset.Value);
        var byTime = await admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = tp, OffsetSpec = OffsetSpec.ForTimestamp(1_004_500) }]);
        Assert.Equal(5, byTime.ResultInfos.Single().TopicPartitionOffsetError.Offset.Value);

        var unknown = await Assert.ThrowsAsync<ListOffsetsException>(() => admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition("offs", 7), OffsetSpec = OffsetSpec.Latest() }]));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, unknown.Results.Single().TopicPartitionOffsetError.Error.Code);
    }
}
