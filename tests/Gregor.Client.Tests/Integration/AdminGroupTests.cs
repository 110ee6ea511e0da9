using Gregor.Client.Admin;

namespace Gregor.Client.Tests.Integration;

/// <summary>Consumer-group admin against an in-process broker, with a member driven by raw group requests.</summary>
public sealed class AdminGroupTests
{
    // No wait for more members before the first rebalance; a small offsets topic is created quickly.
    internal static readonly string[] GroupBrokerSettings = ["group.initial.rebalance.delay.ms=0", "offsets.topic.num.partitions=3"];

    private static IAdminClient Admin(ClientTestBroker broker) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();

    private static async Task ProduceAsync(ClientTestBroker broker, string topic, int partition, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build();
        for (int i = 0; i < count; i++)
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = "v" + i });
    }

    private static TopicPartition Tp(string topic, int partition) => new(topic, partition);

    [Fact]
    public async Task An_active_group_is_listed_described_and_its_offsets_read_but_not_altered_deleted_or_its_offsets_dropped()
    {
        await using var broker = await ClientTestBroker.StartAsync(GroupBrokerSettings);
        using var admin = Admin(broker);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "events", NumPartitions = 3, ReplicationFactor = 1 }]);
        await ProduceAsync(broker, "events", 0, 10);

        await using var member = await TestGroupMember.JoinAsync(broker.Port, "active", new Dictionary<string, int[]> { ["events"] = [0, 1, 2] }, "member-a");
        Assert.Equal(0, await member.CommitAsync("events", 0, 4));
        Assert.Equal(0, await member.CommitAsync("events", 1, 0));
        // A standalone committer makes a simple group: no protocol type, never a member.
        await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets("simple", [new TopicPartitionOffset(Tp("events", 0), 7)])]);

        var all = (await admin.ListConsumerGroupsAsync()).Valid;
        var active = all.Single(g => g.GroupId == "active");
        Assert.Equal(ConsumerGroupState.Stable, active.State);
        Assert.False(active.IsSimpleConsumerGroup);
        var simple = all.Single(g => g.GroupId == "simple");
        Assert.Equal(ConsumerGroupState.Empty, simple.State);
        Assert.True(simple.IsSimpleConsumerGroup);
        var stableOnly = (await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = [ConsumerGroupState.Stable] })).Valid;
        Assert.Equal(["active"], stableOnly.Select(g => g.GroupId));

        var described = (await admin.DescribeConsumerGroupsAsync(["active", "simple", "never-was"])).ConsumerGroupDescriptions;
        Assert.Equal(["active", "simple", "never-was"], described.Select(d => d.GroupId));
        var d0 = described[0];
        Assert.Equal(ConsumerGroupState.Stable, d0.State);
        Assert.Equal("range", d0.PartitionAssignor);
        Assert.Equal(broker.Port, d0.Coordinator!.Port);
        var m = Assert.Single(d0.Members);
        Assert.Equal(member.MemberId, m.ConsumerId);
        Assert.Equal("member-a", m.ClientId);
        Assert.Contains("127.0.0.1", m.Host, StringComparison.Ordinal);
        Assert.Equal([Tp("events", 0), Tp("events", 1), Tp("events", 2)], m.Assignment.TopicPartitions.Order());
        Assert.Equal(ConsumerGroupState.Empty, described[1].State);
        Assert.Empty(described[1].Members);
        Assert.Equal(ConsumerGroupState.Dead, described[2].State); // as Kafka: an unknown group is Dead, not an error

        var committed = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("active", null)])).Single();
        Assert.Equal("active", committed.Group);
        Assert.Equal([(0, 4L), (1, 0L)], committed.Partitions.Select(p => (p.Partition.Value, p.Offset.Value)).Order());
        var named = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("active", [Tp("events", 0), Tp("events", 2)])])).Single();
        Assert.Equal(4, named.Partitions.Single(p => p.Partition == 0).Offset.Value);
        Assert.Equal(Offset.Unset, named.Partitions.Single(p => p.Partition == 2).Offset);

        // The coordinator refuses a standalone commit while the group has members; the answer is kept.
        var alter = await Assert.ThrowsAsync<AlterConsumerGroupOffsetsException>(() =>
            admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets("active", [new TopicPartitionOffset(Tp("events", 0), 0)])]));
        Assert.Equal(ErrorCode.UnknownMemberId, alter.Results.Single().Partitions.Single().Error.Code);
        var dropOffsets = await Assert.ThrowsAsync<DeleteConsumerGroupOffsetsException>(() => admin.DeleteConsumerGroupOffsetsAsync("active", [Tp("events", 0)]));
        Assert.Equal(ErrorCode.GroupSubscribedToTopic, dropOffsets.Result.Partitions.Single().Error.Code);
        var delete = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync(["active", "simple"]));
        Assert.Equal(ErrorCode.NonEmptyGroup, delete.Results.Single(r => r.Group == "active").Error.Code);
        Assert.False(delete.Results.Single(r => r.Group == "simple").Error.IsError); // the other group went

        Assert.Equal(4, (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("active", null)])).Single()
            .Partitions.Single(p => p.Partition == 0).Offset.Value); // nothing changed
    }

    [Fact]
    public async Task Once_the_members_leave_offsets_are_altered_and_dropped_and_the_group_deleted()
    {
        await using var broker = await ClientTestBroker.StartAsync(GroupBrokerSettings);
        using var admin = Admin(broker);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "jobs", NumPartitions = 2, ReplicationFactor = 1 }]);
        await using (var member = await TestGroupMember.JoinAsync(broker.Port, "workers", new Dictionary<string, int[]> { ["jobs"] = [0, 1] }))
        {
            Assert.Equal(0, await member.CommitAsync("jobs", 0, 3));
            Assert.Equal(0, await member.CommitAsync("jobs", 1, 5));
            await member.LeaveAsync();
        }
        Assert.Equal(ConsumerGroupState.Empty, (await admin.DescribeConsumerGroupsAsync(["workers"])).ConsumerGroupDescriptions.Single().State);

        var altered = await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets("workers", [new TopicPartitionOffset(Tp("jobs", 0), 1)])]);
        Assert.Equal(1, altered.Single().Partitions.Single().Offset.Value);
        var dropped = await admin.DeleteConsumerGroupOffsetsAsync("workers", [Tp("jobs", 1)]);
        Assert.Equal([Tp("jobs", 1)], dropped.Partitions);
        var left = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("workers", null)])).Single();
        Assert.Equal([(0, 1L)], left.Partitions.Select(p => (p.Partition.Value, p.Offset.Value)));

        await Assert.ThrowsAsync<ArgumentException>(() =>
            admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets("workers", [new TopicPartitionOffset(Tp("jobs", 0), Offset.Beginning)])]));
        var twice = await Assert.ThrowsAsync<ArgumentException>(() => admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets("workers",
            [new TopicPartitionOffset(Tp("jobs", 0), 1), new TopicPartitionOffset(Tp("jobs", 0), 2)])]));
        Assert.Contains("named twice", twice.Message, StringComparison.Ordinal);

        await admin.DeleteGroupsAsync(["workers"]);
        Assert.DoesNotContain((await admin.ListConsumerGroupsAsync()).Valid, g => g.GroupId == "workers");
        Assert.Equal(ConsumerGroupState.Dead, (await admin.DescribeConsumerGroupsAsync(["workers"])).ConsumerGroupDescriptions.Single().State);
        Assert.Empty((await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("workers", null)])).Single().Partitions);
        var again = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync(["workers"]));
        Assert.Equal(ErrorCode.GroupIdNotFound, again.Results.Single().Error.Code);
        var noGroup = await Assert.ThrowsAsync<DeleteConsumerGroupOffsetsException>(() => admin.DeleteConsumerGroupOffsetsAsync("workers", [Tp("jobs", 0)]));
        Assert.Equal(ErrorCode.GroupIdNotFound, noGroup.Result.Error.Code);
    }

    [Fact]
    public async Task Without_a_reachable_broker_group_operations_fail_with_a_transport_error()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = "127.0.0.1:" + port }).Build();
        var list = await Assert.ThrowsAsync<KafkaException>(() => admin.ListConsumerGroupsAsync());
        Assert.Equal(ErrorCode.Local_AllBrokersDown, list.Error.Code);
        var describe = await Assert.ThrowsAsync<KafkaException>(() => admin.DescribeConsumerGroupsAsync(["g"]));
        Assert.Equal(ErrorCode.Local_AllBrokersDown, describe.Error.Code);
    }
}
