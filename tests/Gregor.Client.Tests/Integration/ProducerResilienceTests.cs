using System.Collections.Concurrent;
using System.Text;
using Gregor.Client.Admin;

namespace Gregor.Client.Tests.Integration;

public sealed class ProducerResilienceTests
{
    private static async Task CreateTopicAsync(ClientTestBroker broker, string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(5, false)]
    [InlineData(5, true)]
    public async Task A_broker_restart_mid_stream_loses_nothing_acknowledged_and_keeps_each_partition_in_order(int maxInFlight, bool idempotent)
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "restart", 3);
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("max.in.flight.requests.per.connection", maxInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture));
        config.Set("linger.ms", "2");
        config.Set("batch.size", "2000");
        config.Set("retry.backoff.ms", "50");
        config.Set("reconnect.backoff.ms", "50");
        config.Set("reconnect.backoff.max.ms", "200");
        config.Set("request.timeout.ms", "3000");
        config.Set("enable.idempotence", idempotent ? "true" : "false");

        var reports = new ConcurrentQueue<DeliveryReport<Null, string>>();
        const int total = 3000;
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            var internals = (Gregor.Client.Producer.Producer<Null, string>)producer;
            for (int i = 0; i < total; i++)
            {
                producer.Produce(new TopicPartition("restart", i % 3), new Message<Null, string> { Value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, reports.Enqueue);
                if (i % 100 == 99) await Task.Delay(10);
                if (i == total / 3)
                {
                    await broker.StopAsync();
                    await Task.Delay(300);
                }
                if (i == total / 2) await broker.StartAgainAsync();
            }
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(60)));
            Assert.True(internals.RetriedBatches > 0, "the restart should have made the producer retry");
        }

        Assert.Equal(total, reports.Count);
        Assert.All(reports, r => Assert.False(r.Error.IsError, r.Error.Reason));
        for (int partition = 0; partition < 3; partition++)
        {
            var stored = await RawReader.ReadAllAsync(broker.Bootstrap, "restart", partition);
            var values = stored.Select(r => int.Parse(Encoding.UTF8.GetString(r.Value!), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            // Every acknowledged record is there, at the offset its report named.
            foreach (var report in reports.Where(r => r.Partition == partition))
                Assert.Equal(report.Message.Value, Encoding.UTF8.GetString(stored.Single(s => s.Offset == report.Offset.Value).Value!));
            var expected = Enumerable.Range(0, total).Where(i => i % 3 == partition).ToList();
            if (idempotent)
            {
                // The broker refuses a batch out of sequence and recognises a resent one: each record once, in order.
                Assert.Equal(expected, values);
            }
            else if (maxInFlight == 1)
            {
                // A record whose answer was lost in the restart may be stored twice (no idempotence), but never out of order.
                Assert.Equal(expected, values.Distinct().ToList());
            }
            else
            {
                // Without idempotence and several batches of a partition in flight, a batch failed on the dead connection
                // may be resent after a later one was written (as in Kafka): nothing is lost, but order is not promised.
                Assert.Equal(expected, values.Distinct().Order().ToList());
            }
        }
    }

    [Fact]
    public async Task A_full_buffer_blocks_produce_for_max_block_ms_then_fails_and_room_lets_it_through()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "pressure", 1);
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("buffer.memory", "65536");
        config.Set("max.block.ms", "3000");
        config.Set("reconnect.backoff.ms", "50");
        config.Set("reconnect.backoff.max.ms", "100");
        config.Set("retry.backoff.ms", "50");
        config.Set("enable.idempotence", "false");
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var tp = new TopicPartition("pressure", 0);
        await producer.ProduceAsync(tp, new Message<Null, byte[]> { Value = new byte[10] }); // metadata known

        await broker.StopAsync();
        var started = DateTime.UtcNow;
        var sent = Enumerable.Range(0, 80).Select(_ => producer.ProduceAsync(tp, new Message<Null, byte[]> { Value = new byte[1000] })).ToList();
        await Task.WhenAny(sent[^1]);
        var waited = DateTime.UtcNow - started;
        var refused = sent.Where(t => t.IsFaulted).ToList();
        var accepted = sent.Where(t => !t.IsCompleted).ToList();
        Assert.Equal(80, refused.Count + accepted.Count);
        Assert.InRange(accepted.Count, 50, 64); // 64 KiB holds about sixty 1 KB records with their framing
        Assert.All(refused, t => Assert.Equal(ErrorCode.Local_QueueFull, ((ProduceException<Null, byte[]>)t.Exception!.InnerException!).Error.Code));
        Assert.InRange(waited, TimeSpan.FromMilliseconds(2900), TimeSpan.FromSeconds(30));
        Assert.Equal(sent.Take(accepted.Count), accepted); // the buffer takes records in call order

        // A caller waiting for room gets in once the broker is back and acknowledges what was buffered.
        var waiting = producer.ProduceAsync(tp, new Message<Null, byte[]> { Value = new byte[1000] });
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        await broker.StartAgainAsync();
        var results = await Task.WhenAll(accepted).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, accepted.Count).Select(i => (long)i), results.Select(r => r.Offset.Value));
        Assert.Equal(accepted.Count + 1, (await waiting.WaitAsync(TimeSpan.FromSeconds(30))).Offset.Value);
    }
}
