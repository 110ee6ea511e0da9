using static Gregor.Client.Tests.Integration.ConsumerTestSupport;

namespace Gregor.Client.Tests.Integration;

/// <summary>Committed offsets of a consumer with a group.id that is no group's member (Kafka's standalone consumer).</summary>
public sealed class ConsumerOffsetsTests
{
    [Fact]
    public async Task Committed_offsets_come_back_with_their_leader_epoch_and_metadata()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "commits", 3);
        using var consumer = NewConsumer(broker, ("group.id", "standalone"), ("enable.auto.commit", "false"));
        consumer.Commit([
            new TopicPartitionOffsetMetadata("commits", 0, 42, 3, "checkpoint-a"),
            new TopicPartitionOffsetMetadata("commits", 1, 7, null, null),
        ]);
        var partitions = Enumerable.Range(0, 3).Select(p => new TopicPartition("commits", p)).ToList();
        var withMetadata = consumer.CommittedWithMetadata(partitions, Patience);
        Assert.Equal([42L, 7, Offset.UnsetValue], withMetadata.Select(c => c.Offset.Value));
        Assert.Equal([3, (int?)null, null], withMetadata.Select(c => c.LeaderEpoch));
        Assert.Equal("checkpoint-a", withMetadata[0].Metadata);
        Assert.True(string.IsNullOrEmpty(withMetadata[1].Metadata));

        consumer.Commit([new TopicPartitionOffset("commits", 2, 100)]);
        Assert.Equal([42L, 7, 100], consumer.Committed(partitions, Patience).Select(c => c.Offset.Value));

        // Another consumer of the group sees the same, and starts there when assigned without an offset.
        await ProduceAsync(broker, "commits", 1, 12);
        using var next = NewConsumer(broker, ("group.id", "standalone"), ("enable.auto.commit", "false"), ("auto.offset.reset", "earliest"));
        Assert.Equal([42L, 7, 100], next.Committed(partitions, Patience).Select(c => c.Offset.Value));
        next.Assign(new TopicPartition("commits", 1));
        Assert.Equal([7L, 8, 9, 10, 11], Take(next, 5).Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task Commit_commits_stored_offsets_which_follow_consumption_by_default()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "stored", 2);
        await ProduceAsync(broker, "stored", 0, 10);
        await ProduceAsync(broker, "stored", 1, 10);
        using var consumer = NewConsumer(broker, ("group.id", "g-stored"), ("enable.auto.commit", "false"));
        consumer.Assign([new TopicPartitionOffset("stored", 0, 0), new TopicPartitionOffset("stored", 1, 0)]);
        Assert.Equal(ErrorCode.Local_NoOffset, Assert.Throws<KafkaException>(() => consumer.Commit()).Error.Code);

        var records = Take(consumer, 20);
        var committed = consumer.Commit();
        Assert.Equal([10L, 10], committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value));
        Assert.All(committed, c => Assert.Equal(records[0].LeaderEpoch, c.LeaderEpoch));
        Assert.Equal([10L, 10], consumer.Committed(TimeSpan.FromSeconds(10)).Select(c => c.Offset.Value));

        // Commit(result) commits the offset after the record.
        consumer.Commit(records.First(r => r.Partition == 1 && r.Offset == 4));
        Assert.Equal(5, consumer.Committed([new TopicPartition("stored", 1)], Patience).Single().Offset.Value);
        Assert.Equal(ErrorCode.Local_InvalidArg, Assert.Throws<KafkaException>(() => consumer.StoreOffset(records[0])).Error.Code);
    }

    [Fact]
    public async Task With_automatic_storing_off_only_stored_offsets_are_committed()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "manual", 1);
        await ProduceAsync(broker, "manual", 0, 10);
        using var consumer = NewConsumer(broker, ("group.id", "g-manual"), ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"));
        consumer.Assign(new TopicPartitionOffset("manual", 0, 0));
        var records = Take(consumer, 10);
        Assert.Equal(ErrorCode.Local_NoOffset, Assert.Throws<KafkaException>(() => consumer.Commit()).Error.Code);
        consumer.StoreOffset(records[3]);
        Assert.Equal(4, consumer.Commit().Single().Offset.Value);
        consumer.StoreOffset(new TopicPartitionOffset("manual", 0, 8));
        Assert.Equal(8, consumer.Commit().Single().Offset.Value);
        Assert.Throws<KafkaException>(() => consumer.StoreOffset(new TopicPartitionOffset("manual", 1, 8))); // not assigned
    }

    [Fact]
    public async Task Auto_commit_commits_the_consumed_position_periodically_and_on_close()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "auto", 1);
        await ProduceAsync(broker, "auto", 0, 20);
        var tp = new TopicPartition("auto", 0);
        using (var consumer = NewConsumer(broker, ("group.id", "g-auto"), ("auto.commit.interval.ms", "100")))
        {
            consumer.Assign(new TopicPartitionOffset(tp, 0));
            Take(consumer, 12);
            var deadline = DateTime.UtcNow + Patience;
            while (consumer.Committed([tp], Patience).Single().Offset.Value != 12)
            {
                Assert.True(DateTime.UtcNow < deadline, "auto-commit did not commit offset 12");
                // Not Consume: that would move the position past 12 (the commits run on their own timer).
                Thread.Sleep(50);
            }
        }
        using (var consumer = NewConsumer(broker, ("group.id", "g-auto-close"), ("auto.commit.interval.ms", "600000")))
        {
            consumer.Assign(new TopicPartitionOffset(tp, 0));
            Take(consumer, 7);
            consumer.Close();
        }
        using var reader = NewConsumer(broker, ("group.id", "g-auto-close"), ("enable.auto.commit", "false"));
        Assert.Equal(7, reader.Committed([tp], Patience).Single().Offset.Value);
    }

    [Fact]
    public async Task Without_a_group_id_commits_are_refused_and_nothing_is_committed_automatically()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "nogroup", 1);
        using var consumer = NewConsumer(broker);
        var refused = Assert.Throws<KafkaException>(() => consumer.Commit([new TopicPartitionOffset("nogroup", 0, 1)]));
        Assert.Equal(ErrorCode.Local_UnknownGroup, refused.Error.Code);
        Assert.Throws<KafkaException>(() => consumer.Committed([new TopicPartition("nogroup", 0)], Patience));
        Assert.Throws<ConfigException>(() => NewConsumer(broker, ("enable.auto.commit", "true")));
        Assert.Equal("", consumer.MemberId);
    }
}
