using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Gregor.Client.Admin;
using Gregor.Client.Partitioning;

namespace Gregor.Client.Tests.Integration;

public sealed class ProducerBehaviourTests
{
    private static async Task CreateTopicAsync(ClientTestBroker broker, string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    [Fact]
    public async Task Keyed_records_land_on_the_murmur2_partition_and_keyless_ones_stick_to_one_per_batch()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "keyed", 6);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build();
        for (int i = 0; i < 60; i++)
        {
            string key = "customer-" + i;
            var result = await producer.ProduceAsync("keyed", new Message<string, string> { Key = key, Value = "v" });
            Assert.Equal(Murmur2.PartitionForKey(Encoding.UTF8.GetBytes(key), 6), result.Partition.Value);
        }
        var keyless = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => producer.ProduceAsync("keyed", new Message<string, string> { Key = null!, Value = "x" })));
        Assert.Single(keyless.Select(r => r.Partition.Value).Distinct()); // one small batch: one sticky partition
    }

    [Fact]
    public async Task Produce_reports_through_the_callback_and_acks_zero_reports_no_offset()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "callbacks", 1);
        var reports = new ConcurrentQueue<DeliveryReport<Null, string>>();
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
        {
            for (int i = 0; i < 100; i++) producer.Produce("callbacks", new Message<Null, string> { Value = "r" + i }, reports.Enqueue);
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), reports.Select(r => r.Offset.Value).Order());
        Assert.All(reports, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));

        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("acks", "0");
        using (var fireAndForget = new ProducerBuilder<Null, string>(config).Build())
        {
            var result = await fireAndForget.ProduceAsync("callbacks", new Message<Null, string> { Value = "unacknowledged" });
            Assert.Equal(Offset.Unset, result.Offset);
        } // Dispose flushes
        var stored = await WaitForCountAsync(broker, "callbacks", 0, 101);
        Assert.Equal("unacknowledged", Encoding.UTF8.GetString(stored[^1].Value!));
    }

    private static async Task<List<StoredRecord>> WaitForCountAsync(ClientTestBroker broker, string topic, int partition, int count)
    {
        for (int i = 0; ; i++)
        {
            var stored = await RawReader.ReadAllAsync(broker.Bootstrap, topic, partition);
            if (stored.Count >= count || i == 50) return stored;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Records_that_cannot_be_sent_fail_with_the_reason()
    {
        await using var broker = await ClientTestBroker.StartAsync("auto.create.topics.enable=false");
        await CreateTopicAsync(broker, "small", 2);
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("max.block.ms", "500");
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();

        var noPartition = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(() => producer.ProduceAsync(new TopicPartition("small", 5), new Message<Null, byte[]> { Value = [1] }));
        Assert.Equal(ErrorCode.Local_UnknownPartition, noPartition.Error.Code);
        var tooLarge = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(() => producer.ProduceAsync("small", new Message<Null, byte[]> { Value = new byte[2_000_000] }));
        Assert.Equal(ErrorCode.MessageTooLarge, tooLarge.Error.Code);
        var noTopic = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(() => producer.ProduceAsync("absent", new Message<Null, byte[]> { Value = [1] }));
        Assert.Equal(ErrorCode.Local_UnknownTopic, noTopic.Error.Code);
        Assert.Equal(0, (await producer.ProduceAsync(new TopicPartition("small", 1), new Message<Null, byte[]> { Value = [1] })).Offset.Value);
    }

    [Fact]
    public async Task Kcat_reads_what_the_producer_wrote()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "interop", 1);
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("compression.type", "gzip");
        using (var producer = new ProducerBuilder<string, string>(config).Build())
        {
            for (int i = 0; i < 20; i++) producer.Produce("interop", new Message<string, string> { Key = "k" + i, Value = "hello " + i });
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        var kcat = Process.Start(new ProcessStartInfo("kcat", $"-C -b {broker.Bootstrap} -t interop -o beginning -e -q -f \"%o %k %s\\n\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string output = await kcat.StandardOutput.ReadToEndAsync();
        await kcat.WaitForExitAsync();
        Assert.Equal(0, kcat.ExitCode);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{i} k{i} hello {i}"), output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

public sealed class ProducerBatchingTests
{
    private static async Task CreateTopicAsync(ClientTestBroker broker, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
    }

    [Fact]
    public async Task Linger_holds_a_lone_record_and_batch_size_caps_each_batch()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "batching");
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("linger.ms", "400");
        config.Set("batch.size", "1000");
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var tp = new TopicPartition("batching", 0);
        await producer.ProduceAsync(tp, new Message<Null, byte[]> { Value = [1] }); // metadata warm

        var timer = Stopwatch.StartNew();
        await producer.ProduceAsync(tp, new Message<Null, byte[]> { Value = [2] });
        Assert.InRange(timer.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(10));

        // Full batches go at once, linger or not: 100 records of 100 bytes fill ten 1000-byte batches.
        await Task.WhenAll(Enumerable.Range(0, 99).Select(_ => producer.ProduceAsync(tp, new Message<Null, byte[]> { Value = new byte[100] })));
        var stored = await RawReader.ReadAllAsync(broker.Bootstrap, "batching", 0);
        var batchSizes = stored.Skip(2).GroupBy(r => r.BatchBaseOffset).Select(g => g.Count()).ToList();
        Assert.True(batchSizes.Count >= 10, $"{batchSizes.Count} batches");
        Assert.All(batchSizes, n => Assert.InRange(n, 1, 9)); // a 1000-byte batch holds fewer than ten 100-byte records

        // Flush sends at once: with a linger of a minute, nothing is left after Flush's 30 s only if it did not wait
        // for linger.ms, however loaded the machine (a 400 ms linger against a 350 ms bound did not tell, once).
        var lingering = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        lingering.Set("linger.ms", "60000");
        using var patient = new ProducerBuilder<Null, byte[]>(lingering).Build();
        patient.Produce(tp, new Message<Null, byte[]> { Value = [3] });
        Assert.Equal(0, patient.Flush(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Records_that_cannot_be_delivered_within_delivery_timeout_fail_with_MsgTimedOut()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "doomed");
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("delivery.timeout.ms", "1500");
        config.Set("request.timeout.ms", "1000");
        config.Set("retry.backoff.ms", "50");
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        await producer.ProduceAsync("doomed", new Message<Null, string> { Value = "first" });
        await broker.StopAsync();
        var timer = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("doomed", new Message<Null, string> { Value = "lost" }));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);
        Assert.Equal(PersistenceStatus.NotPersisted, failure.DeliveryResult.Status);
        Assert.InRange(timer.Elapsed, TimeSpan.FromMilliseconds(1200), TimeSpan.FromSeconds(20));
    }
}
