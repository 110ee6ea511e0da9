using static Gregor.Client.Tests.Integration.ConsumerTestSupport;

namespace Gregor.Client.Tests.Integration;

public sealed class ConsumerTests
{
    [Fact]
    public async Task Assigned_partitions_are_read_from_the_given_offsets_with_keys_values_headers_and_timestamps()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "basic", 2);
        var timestamp = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
        await ProduceAsync(broker, "basic", 0, 50, message: i => new Message<string, string>
        {
            Key = i % 10 == 0 ? null! : "key-" + i,
            Value = i % 13 == 0 ? null! : "value-" + i,
            Timestamp = new Timestamp(timestamp + i, TimestampType.CreateTime),
            Headers = i % 3 == 0 ? new Headers { { "h", [(byte)i] }, { "empty", [] }, { "null", null } } : null,
        });
        await ProduceAsync(broker, "basic", 1, 30, first: 100);

        using var consumer = NewConsumer(broker);
        consumer.Assign([new TopicPartitionOffset("basic", 0, 5), new TopicPartitionOffset("basic", 1, Offset.Beginning)]);
        Assert.Equal([new TopicPartition("basic", 0), new TopicPartition("basic", 1)], consumer.Assignment);
        var records = Take(consumer, 45 + 30);
        var first = records.Where(r => r.Partition == 0).ToList();
        Assert.Equal(Enumerable.Range(5, 45).Select(i => (long)i), first.Select(r => r.Offset.Value));
        foreach (var r in first)
        {
            int i = (int)r.Offset.Value;
            Assert.Equal(i % 10 == 0 ? null : "key-" + i, r.Message.Key);
            Assert.Equal(i % 13 == 0 ? null : "value-" + i, r.Message.Value);
            Assert.Equal(new Timestamp(timestamp + i, TimestampType.CreateTime), r.Message.Timestamp);
            Assert.Equal("basic", r.Topic);
            Assert.False(r.IsPartitionEOF);
            if (i % 3 == 0)
            {
                Assert.Equal(["h", "empty", "null"], r.Message.Headers!.Select(h => h.Key));
                Assert.Equal([(byte)i], r.Message.Headers![0].GetValueBytes()!);
                Assert.Empty(r.Message.Headers![1].GetValueBytes()!);
                Assert.Null(r.Message.Headers![2].GetValueBytes());
            }
            else
            {
                Assert.Null(r.Message.Headers);
            }
        }
        Assert.Equal(Enumerable.Range(0, 30).Select(i => "value-" + (100 + i)), records.Where(r => r.Partition == 1).Select(r => r.Message.Value));
        Assert.Equal(50, consumer.Position(new TopicPartition("basic", 0)).Value);
        Assert.Equal(30, consumer.Position(new TopicPartition("basic", 1)).Value);
        NothingMore(consumer);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Every_codec_is_decoded_and_a_seek_into_a_compressed_batch_skips_the_records_before_it(string codec)
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "codec", 1);
        await ProduceAsync(broker, "codec", 0, 2000, codec: codec, lingerMs: 50,
            message: i => new Message<string, string> { Key = "key-" + i, Value = "value-" + i + new string('z', i % 300) });
        var batches = await RawReader.ReadAllAsync(broker.Bootstrap, "codec", 0);
        Assert.All(batches, r => Assert.Equal(codec switch { "none" => 0, "gzip" => 1, "snappy" => 2, "lz4" => 3, _ => 4 }, r.Compression));
        var batched = batches.Where(r => r.Offset > r.BatchBaseOffset).Select(r => r.Offset).First(); // a record inside a batch

        using var consumer = NewConsumer(broker);
        consumer.Assign(new TopicPartitionOffset("codec", 0, Offset.Beginning));
        var records = Take(consumer, 2000);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => "value-" + i + new string('z', i % 300)), records.Select(r => r.Message.Value));
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => "key-" + i), records.Select(r => r.Message.Key));

        consumer.Seek(new TopicPartitionOffset("codec", 0, batched));
        var fromMiddle = Take(consumer, 5);
        Assert.Equal(Enumerable.Range((int)batched, 5).Select(i => (long)i), fromMiddle.Select(r => r.Offset.Value));
    }

    [Theory]
    [InlineData("earliest")]
    [InlineData("latest")]
    public async Task Without_a_committed_offset_auto_offset_reset_picks_the_start(string reset)
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "reset", 1);
        await ProduceAsync(broker, "reset", 0, 10);
        using var consumer = NewConsumer(broker, ("auto.offset.reset", reset));
        consumer.Assign(new TopicPartition("reset", 0));
        if (reset == "latest")
        {
            WaitForPosition(consumer, new TopicPartition("reset", 0));
            Assert.Equal(10, consumer.Position(new TopicPartition("reset", 0)).Value);
            await ProduceAsync(broker, "reset", 0, 3, first: 10);
        }
        var records = Take(consumer, reset == "earliest" ? 10 : 3);
        Assert.Equal(reset == "earliest" ? 0 : 10, records[0].Offset.Value);
        NothingMore(consumer);
    }

    [Fact]
    public async Task With_auto_offset_reset_none_a_partition_without_an_offset_fails_in_consume_until_a_seek()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "noreset", 1);
        await ProduceAsync(broker, "noreset", 0, 4);
        using var consumer = NewConsumer(broker, ("auto.offset.reset", "none"));
        var tp = new TopicPartition("noreset", 0);
        consumer.Assign(tp);
        var failure = Assert.Throws<ConsumeException>(() => Take(consumer, 1));
        Assert.Equal(ErrorCode.Local_AutoOffsetReset, failure.Error.Code);
        Assert.Equal(tp, failure.ConsumerRecord.TopicPartition);
        NothingMore(consumer, 300); // stopped, not failing again and again
        consumer.Seek(new TopicPartitionOffset(tp, 1));
        Assert.Equal([1L, 2, 3], Take(consumer, 3).Select(r => r.Offset.Value));
    }

    [Theory]
    [InlineData("earliest", 0)]
    [InlineData("latest", 10)]
    [InlineData("none", -1)]
    public async Task An_out_of_range_offset_is_reset_by_the_policy_or_reported_with_kafkas_error(string reset, long expectedStart)
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "range", 1);
        await ProduceAsync(broker, "range", 0, 10);
        using var consumer = NewConsumer(broker, ("auto.offset.reset", reset));
        var tp = new TopicPartition("range", 0);
        consumer.Assign(new TopicPartitionOffset(tp, 1000));
        Assert.Equal(1000, consumer.Position(tp).Value);
        if (reset == "none")
        {
            var failure = Assert.Throws<ConsumeException>(() => Take(consumer, 1));
            Assert.Equal(ErrorCode.OffsetOutOfRange, failure.Error.Code);
            Assert.Equal(1000, failure.ConsumerRecord.Offset.Value);
            consumer.Seek(new TopicPartitionOffset(tp, 7));
            Assert.Equal([7L, 8, 9], Take(consumer, 3).Select(r => r.Offset.Value));
            return;
        }
        if (reset == "latest")
        {
            WaitForPosition(consumer, tp, expected: 10);
            await ProduceAsync(broker, "range", 0, 2, first: 10);
        }
        Assert.Equal(expectedStart, Take(consumer, 1)[0].Offset.Value);
    }

    [Fact]
    public async Task Seek_moves_the_position_back_and_forth_and_position_follows_consumption()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "seek", 1);
        await ProduceAsync(broker, "seek", 0, 100);
        using var consumer = NewConsumer(broker);
        var tp = new TopicPartition("seek", 0);
        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        Assert.Equal(Offset.Unset, consumer.Position(tp)); // still being looked up
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Take(consumer, 10).Select(r => r.Offset.Value));
        Assert.Equal(10, consumer.Position(tp).Value);

        consumer.Seek(new TopicPartitionOffset(tp, 3));
        Assert.Equal(3, consumer.Position(tp).Value);
        Assert.Equal([3L, 4], Take(consumer, 2).Select(r => r.Offset.Value));
        consumer.Seek(new TopicPartitionOffset(tp, 90));
        Assert.Equal([90L, 91], Take(consumer, 2).Select(r => r.Offset.Value));
        consumer.Seek(new TopicPartitionOffset(tp, Offset.End));
        WaitForPosition(consumer, tp, expected: 100);
        consumer.Seek(new TopicPartitionOffset(tp, Offset.Beginning));
        Assert.Equal(0, Take(consumer, 1)[0].Offset.Value);
        Assert.Throws<KafkaException>(() => consumer.Seek(new TopicPartitionOffset("seek", 5, 0)));
        Assert.Throws<KafkaException>(() => consumer.Position(new TopicPartition("other", 0)));
    }

    [Fact]
    public async Task Paused_partitions_return_nothing_until_resumed()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "pause", 2);
        await ProduceAsync(broker, "pause", 0, 20);
        await ProduceAsync(broker, "pause", 1, 20, first: 100);
        using var consumer = NewConsumer(broker);
        var p0 = new TopicPartition("pause", 0);
        var p1 = new TopicPartition("pause", 1);
        consumer.Assign([new TopicPartitionOffset(p0, 0), new TopicPartitionOffset(p1, 0)]);
        consumer.Pause([p1]);
        var first = Take(consumer, 20);
        Assert.All(first, r => Assert.Equal(p0, r.TopicPartition));
        NothingMore(consumer);
        Assert.Equal(0, consumer.Position(p1).Value);
        consumer.Resume([p1]);
        var second = Take(consumer, 20);
        Assert.Equal(Enumerable.Range(100, 20).Select(i => "value-" + i), second.Select(r => r.Message.Value));

        // Pausing in the middle of a batch and resuming continues right after the last record returned.
        await ProduceAsync(broker, "pause", 0, 50, first: 20, lingerMs: 50);
        Take(consumer, 5);
        consumer.Pause([p0]);
        NothingMore(consumer, 300);
        consumer.Resume([p0]);
        Assert.Equal(Enumerable.Range(25, 45).Select(i => (long)i), Take(consumer, 45).Select(r => r.Offset.Value));
        Assert.Throws<KafkaException>(() => consumer.Pause([new TopicPartition("pause", 7)]));
    }

    [Fact]
    public async Task Partition_eof_is_reported_once_each_time_the_end_is_reached()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "eof", 2);
        await ProduceAsync(broker, "eof", 0, 5);
        using var consumer = NewConsumer(broker, ("enable.partition.eof", "true"));
        consumer.Assign([new TopicPartitionOffset("eof", 0, 0), new TopicPartitionOffset("eof", 1, 0)]);
        var seen = new List<ConsumeResult<string, string>>();
        while (seen.Count(r => r.IsPartitionEOF) < 2) seen.Add(consumer.Consume(Patience) ?? throw new InvalidOperationException("nothing came"));
        Assert.Equal(5, seen.Count(r => !r.IsPartitionEOF));
        var ends = seen.Where(r => r.IsPartitionEOF).OrderBy(r => r.Partition.Value).ToList();
        Assert.Equal([5L, 0], ends.Select(e => e.Offset.Value));
        Assert.All(ends, e => Assert.Null(e.Message));
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(400))); // reported once, not on every fetch

        await ProduceAsync(broker, "eof", 0, 2, first: 5);
        var next = new List<ConsumeResult<string, string>>();
        while (next.Count < 3) next.Add(consumer.Consume(Patience) ?? throw new InvalidOperationException("nothing came"));
        Assert.Equal([5L, 6, 7], next.Select(r => r.Offset.Value));
        Assert.Equal([false, false, true], next.Select(r => r.IsPartitionEOF));
    }

    [Fact]
    public async Task Records_larger_than_max_partition_fetch_bytes_still_come_whole()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "large", 3);
        for (int p = 0; p < 3; p++)
            await ProduceAsync(broker, "large", p, 4, first: p * 10, message: i => new Message<string, string> { Key = "k" + i, Value = new string((char)('a' + (i % 26)), 20_000 + i) });
        using var consumer = NewConsumer(broker, ("max.partition.fetch.bytes", "1024"), ("fetch.max.bytes", "2048"));
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("large", p, 0)));
        var records = Take(consumer, 12);
        foreach (var r in records)
        {
            int i = int.Parse(r.Message.Key[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(new string((char)('a' + (i % 26)), 20_000 + i), r.Message.Value);
        }
        Assert.Equal(12, records.Select(r => r.Message.Key).Distinct().Count());
    }

    [Fact]
    public async Task Many_partitions_are_read_completely_each_in_order()
    {
        const int partitions = 64, perPartition = 40;
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "many", partitions);
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 20 };
        config.Set("enable.idempotence", "false");
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            for (int i = 0; i < partitions * perPartition; i++)
                producer.Produce(new TopicPartition("many", i % partitions), new Message<string, string> { Key = (i % partitions).ToString(System.Globalization.CultureInfo.InvariantCulture), Value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            Assert.Equal(0, producer.Flush(Patience));
        }
        using var consumer = NewConsumer(broker, ("max.partition.fetch.bytes", "512"));
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset("many", p, Offset.Beginning)));
        var records = Take(consumer, partitions * perPartition);
        foreach (var group in records.GroupBy(r => r.Partition.Value))
        {
            Assert.Equal(Enumerable.Range(0, perPartition).Select(i => (long)i), group.Select(r => r.Offset.Value));
            Assert.Equal(Enumerable.Range(0, perPartition).Select(i => (group.Key + (i * partitions)).ToString(System.Globalization.CultureInfo.InvariantCulture)), group.Select(r => r.Message.Value));
        }
        Assert.Equal(partitions, records.Select(r => r.Partition.Value).Distinct().Count());
        NothingMore(consumer);
    }

    [Fact]
    public async Task Watermarks_are_asked_for_or_taken_from_the_last_fetch_and_offsets_are_found_by_time()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "marks", 1);
        long t0 = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
        await ProduceAsync(broker, "marks", 0, 30, message: i => new Message<string, string> { Key = "k", Value = "v" + i, Timestamp = new Timestamp(t0 + (i * 1000), TimestampType.CreateTime) });
        using var consumer = NewConsumer(broker);
        var tp = new TopicPartition("marks", 0);
        var asked = consumer.QueryWatermarkOffsets(tp, Patience);
        Assert.Equal((0L, 30L), (asked.Low.Value, asked.High.Value));
        Assert.Equal((Offset.Unset, Offset.Unset), (consumer.GetWatermarkOffsets(tp).Low, consumer.GetWatermarkOffsets(tp).High)); // not assigned

        consumer.Assign(new TopicPartitionOffset(tp, 25));
        Take(consumer, 5);
        var cached = consumer.GetWatermarkOffsets(tp);
        Assert.Equal((0L, 30L), (cached.Low.Value, cached.High.Value));

        var found = consumer.OffsetsForTimes([
            new TopicPartitionTimestamp(tp, new Timestamp(t0 + 12_000, TimestampType.CreateTime)),
        ], Patience);
        Assert.Equal(12, found.Single().Offset.Value);
        Assert.Equal(12, consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(t0 + 11_500, TimestampType.CreateTime))], Patience).Single().Offset.Value);
        Assert.Equal(Offset.End, consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(t0 + 100_000, TimestampType.CreateTime))], Patience).Single().Offset);
        var missing = Assert.Throws<KafkaException>(() => consumer.QueryWatermarkOffsets(new TopicPartition("marks", 3), TimeSpan.FromSeconds(2)));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, missing.Error.Code);
    }

    [Fact]
    public async Task Incremental_assignment_adds_and_removes_partitions_and_refuses_conflicts()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "incremental", 3);
        for (int p = 0; p < 3; p++) await ProduceAsync(broker, "incremental", p, 10, first: p * 100);
        using var consumer = NewConsumer(broker, ("auto.offset.reset", "earliest"));
        consumer.IncrementalAssign([new TopicPartition("incremental", 0)]);
        Assert.All(Take(consumer, 10), r => Assert.Equal(0, r.Partition.Value));
        consumer.IncrementalAssign([new TopicPartitionOffset("incremental", 1, 5), new TopicPartitionOffset("incremental", 2, 8)]);
        var added = Take(consumer, 7);
        Assert.Equal(5, added.Count(r => r.Partition == 1));
        Assert.Equal(2, added.Count(r => r.Partition == 2));
        Assert.Equal(ErrorCode.Local_Conflict, Assert.Throws<KafkaException>(() => consumer.IncrementalAssign([new TopicPartition("incremental", 1)])).Error.Code);

        consumer.IncrementalUnassign([new TopicPartition("incremental", 0), new TopicPartition("incremental", 2)]);
        Assert.Equal([new TopicPartition("incremental", 1)], consumer.Assignment);
        Assert.Equal(ErrorCode.Local_State, Assert.Throws<KafkaException>(() => consumer.IncrementalUnassign([new TopicPartition("incremental", 0)])).Error.Code);
        await ProduceAsync(broker, "incremental", 0, 3, first: 10);
        await ProduceAsync(broker, "incremental", 1, 1, first: 110);
        Assert.Equal("value-110", Take(consumer, 1).Single().Message.Value);
        NothingMore(consumer);
        consumer.Unassign();
        Assert.Empty(consumer.Assignment);
    }

    [Fact]
    public async Task An_unknown_topic_is_reported_by_consume_when_topics_are_not_created_automatically()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        using var consumer = NewConsumer(broker, ("allow.auto.create.topics", "false"));
        consumer.Assign(new TopicPartitionOffset("missing", 0, 0));
        var failure = Assert.Throws<ConsumeException>(() => Take(consumer, 1));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, failure.Error.Code);
        Assert.Equal("missing", failure.ConsumerRecord.Topic);
        NothingMore(consumer, 300); // once, not on every retry
    }

    [Fact]
    public async Task A_record_that_does_not_deserialize_fails_with_its_bytes_and_consuming_goes_on_after_it()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "serde", 1);
        await ProduceAsync(broker, "serde", 0, 3, message: i => new Message<string, string> { Key = "k", Value = i == 1 ? "not-four" : "abcd" });
        using var consumer = new ConsumerBuilder<string, int>(Config(broker)).Build();
        consumer.Assign(new TopicPartitionOffset("serde", 0, 0));
        Assert.Equal(0x61626364, Take(consumer, 1)[0].Message.Value);
        var failure = Assert.Throws<ConsumeException>(() => Take(consumer, 1));
        Assert.Equal(ErrorCode.Local_ValueDeserialization, failure.Error.Code);
        Assert.Equal("not-four"u8.ToArray(), failure.ConsumerRecord.Message.Value);
        Assert.Equal(1, failure.ConsumerRecord.Offset.Value);
        Assert.Equal(2, Take(consumer, 1)[0].Offset.Value);
    }

    [Fact]
    public async Task Work_posted_for_the_consume_thread_runs_inside_consume_and_may_change_the_assignment()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "posted", 2);
        await ProduceAsync(broker, "posted", 1, 3);
        using var consumer = NewConsumer(broker);
        var core = ((Gregor.Client.Consumer.Consumer<string, string>)consumer).Core;
        int consumeThread = -1, ranOn = -2;
        var waiting = Task.Run(() =>
        {
            consumeThread = Environment.CurrentManagedThreadId;
            return consumer.Consume(Patience);
        });
        await Task.Delay(200); // Consume is waiting with nothing assigned
        core.PostToConsumeThread(() =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            consumer.IncrementalAssign([new TopicPartitionOffset("posted", 1, 0)]);
        });
        var first = await waiting;
        Assert.Equal(consumeThread, ranOn);
        Assert.Equal(0, first!.Offset.Value);
        Assert.Equal(1, first.Partition.Value);
    }

    private static void WaitForPosition(IConsumer<string, string> consumer, TopicPartition tp, long? expected = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (consumer.Position(tp) == Offset.Unset || (expected is { } e && consumer.Position(tp).Value != e))
        {
            Assert.True(DateTime.UtcNow < deadline, $"position of {tp} stayed {consumer.Position(tp)}");
            consumer.Consume(TimeSpan.FromMilliseconds(20));
        }
    }
}
