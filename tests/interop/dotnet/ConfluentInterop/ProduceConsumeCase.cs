using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using static ConfluentInterop.Interop;

namespace ConfluentInterop;

/// <summary>
/// produce-consume: a topic of 3 partitions made by the AdminClient; a producer with acks=all and
/// partitioner=murmur2_random sends keyed records (binary and text keys, some null; random values,
/// some null; headers with a repeated key, binary, empty and null values; explicit timestamps). Every
/// delivery report succeeds, each keyed record lands where the Java client's murmur2 puts it, offsets
/// run 0..n-1 per partition in produce order, the watermarks agree; a consumer in a group reads every
/// record once at its reported partition and offset, identical, and its commit is what the group
/// then holds (Committed and ListConsumerGroupOffsets).
/// </summary>
internal static class ProduceConsumeCase
{
    private const int Partitions = 3;
    private const int Records = 3000;

    private sealed record Sent(Message<byte[]?, byte[]?> Message, int Sequence);

    public static async Task RunAsync(string[] args)
    {
        Murmur2.SelfCheck();
        var versions = new RequestVersions();
        string topic = UniqueTopic("dotnet-pc");
        var adminConfig = new AdminClientConfig { BootstrapServers = Bootstrap };
        RequestVersions.Configure(adminConfig);
        using var admin = new AdminClientBuilder(adminConfig).SetLogHandler(versions.Handler).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
        await WaitForLeadersAsync(admin, topic, Partitions);
        Log($"created {topic} with {Partitions} partitions through CreateTopics");

        var random = new Random(20261207);
        var sent = new List<Sent>(Records);
        long baseTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 3_600_000;
        for (int i = 0; i < Records; i++)
        {
            byte[]? key = (i % 10) switch
            {
                0 => null,
                1 or 2 => RandomBytes(random, 1 + random.Next(40)),
                _ => Encoding.UTF8.GetBytes($"key-{i % 400}-ключ"),
            };
            byte[]? value = i % 17 == 0 ? null : RandomBytes(random, random.Next(2000));
            var headers = new Headers
            {
                { "seq", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
                { "bin", RandomBytes(random, random.Next(16)) },
                { "empty", [] },
                { "seq", Encoding.UTF8.GetBytes("again") },
            };
            if (i % 7 == 0) headers.Add(new Header("null", null));
            var message = new Message<byte[]?, byte[]?>
            {
                Key = key, Value = value, Headers = headers,
                Timestamp = new Timestamp(baseTimestamp + i, TimestampType.CreateTime),
            };
            sent.Add(new Sent(message, i));
        }

        var producerConfig = new ProducerConfig
        {
            BootstrapServers = Bootstrap, Acks = Acks.All, Partitioner = Partitioner.Murmur2Random, LingerMs = 5,
            ClientId = "dotnet-interop-producer",
        };
        RequestVersions.Configure(producerConfig);
        var reports = new DeliveryReport<byte[]?, byte[]?>?[Records];
        var clock = Stopwatch.StartNew();
        using (var producer = new ProducerBuilder<byte[]?, byte[]?>(producerConfig).SetLogHandler(versions.Handler).Build())
        {
            int handed = 0;
            foreach (var record in sent)
            {
                int sequence = record.Sequence;
                producer.Produce(topic, record.Message, report =>
                {
                    Volatile.Write(ref reports[sequence], report);
                    Interlocked.Increment(ref handed);
                });
            }
            FlushAndAwaitReports(producer, () => Volatile.Read(ref handed), Records, "produce");
        }
        Log($"produced {Records} records in {clock.ElapsedMilliseconds} ms (acks=all)");

        var failed = reports.Select((r, i) => (r, i)).Where(x => x.r is null || x.r.Error.IsError || x.r.Status != PersistenceStatus.Persisted).ToList();
        Check(failed.Count == 0, $"{failed.Count} deliveries failed, first: #{failed.FirstOrDefault().i} " +
            $"{failed.FirstOrDefault().r?.Error.Code} {failed.FirstOrDefault().r?.Error.Reason} {failed.FirstOrDefault().r?.Status}");

        int hashed = 0;
        var byPartition = new Dictionary<int, List<long>>();
        var byPosition = new Dictionary<(int, long), Sent>();
        for (int i = 0; i < Records; i++)
        {
            var report = reports[i]!;
            int partition = report.Partition.Value;
            Check(report.Topic == topic && partition is >= 0 and < Partitions, $"record #{i} reported at {report.TopicPartitionOffset}");
            if (sent[i].Message.Key is { } key)
            {
                int expected = Murmur2.Partition(key, Partitions);
                Check(partition == expected, $"record #{i} with key {Show(key)} went to partition {partition}; murmur2 (the Java client) gives {expected}");
                hashed++;
            }
            byPartition.TryAdd(partition, []);
            byPartition[partition].Add(report.Offset.Value);
            byPosition[(partition, report.Offset.Value)] = sent[i];
        }
        Check(byPartition.Count == Partitions, $"records landed in partitions [{string.Join(",", byPartition.Keys.Order())}] only");
        foreach (var (partition, offsets) in byPartition)
            Check(offsets.SequenceEqual(Enumerable.Range(0, offsets.Count).Select(o => (long)o)),
                $"partition {partition}: offsets in produce order are {string.Join(",", offsets.Take(20))}..., expected 0..{offsets.Count - 1}");
        Log($"every delivery report succeeded; {hashed} keyed records each in murmur2's partition; offsets 0..n-1 per partition " +
            Show(byPartition.ToDictionary(p => p.Key, p => p.Value.Count)));

        string group = UniqueTopic("dotnet-pc-group");
        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = Bootstrap, GroupId = group, AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false, CheckCrcs = true, ClientId = "dotnet-interop-consumer",
        };
        RequestVersions.Configure(consumerConfig);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(consumerConfig).SetLogHandler(versions.Handler).Build();
        for (int p = 0; p < Partitions; p++)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            Check(marks.Low == 0 && marks.High == byPartition[p].Count,
                $"partition {p} watermarks ({marks.Low}, {marks.High}), expected (0, {byPartition[p].Count})");
        }

        consumer.Subscribe(topic);
        var read = new HashSet<(int, long)>();
        clock.Restart();
        while (read.Count < Records)
        {
            Check(clock.Elapsed < TimeSpan.FromSeconds(60), $"the group consumer read {read.Count} of {Records} records in 60 s");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null) continue;
            Check(!result.IsPartitionEOF, "partition EOF delivered although not asked for");
            var position = (result.Partition.Value, result.Offset.Value);
            Check(byPosition.TryGetValue(position, out var expected), $"read {result.TopicPartitionOffset}, which no delivery report gave");
            Check(read.Add(position), $"read {result.TopicPartitionOffset} twice");
            var message = result.Message;
            int seq = expected!.Sequence;
            Check(SameBytes(message.Key, expected.Message.Key), $"#{seq} at {result.TopicPartitionOffset}: key {Show(message.Key)}, sent {Show(expected.Message.Key)}");
            Check(SameBytes(message.Value, expected.Message.Value), $"#{seq} at {result.TopicPartitionOffset}: value {Show(message.Value)}, sent {Show(expected.Message.Value)}");
            Check(SameHeaders(message.Headers, expected.Message.Headers), $"#{seq}: headers {Show(message.Headers)}, sent {Show(expected.Message.Headers)}");
            Check(message.Timestamp.Type == TimestampType.CreateTime && message.Timestamp.UnixTimestampMs == expected.Message.Timestamp.UnixTimestampMs,
                $"#{seq}: timestamp {message.Timestamp.Type} {message.Timestamp.UnixTimestampMs}, sent CreateTime {expected.Message.Timestamp.UnixTimestampMs}");
        }
        Log($"the group consumer read all {Records} records once each, at their reported partition and offset, identical (keys, values, headers, timestamps)");

        var committedOffsets = consumer.Commit();
        var ends = byPartition.ToDictionary(p => p.Key, p => (long)p.Value.Count);
        var commitReply = committedOffsets.Where(o => o.Topic == topic).ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
        Check(Same(commitReply, ends), $"Commit() committed {Show(commitReply)}, expected the ends {Show(ends)}");
        var committed = Committed(consumer, topic, Partitions);
        Check(Same(committed, ends), $"Committed() gives {Show(committed)}, expected {Show(ends)}");
        consumer.Close();

        var listed = await admin.ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions(group, Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)).ToList())]);
        var groupOffsets = listed.Single().Partitions.ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
        Check(Same(groupOffsets, ends), $"ListConsumerGroupOffsets gives {Show(groupOffsets)}, expected {Show(ends)}");
        Log($"committed offsets {Show(ends)} seen by Committed() and ListConsumerGroupOffsets; requests: " +
            versions.Summary("Produce", "Fetch", "ListOffsets", "Metadata", "CreateTopics", "JoinGroup", "SyncGroup", "OffsetCommit", "OffsetFetch"));
    }

    internal static bool Same(Dictionary<int, long> a, Dictionary<int, long> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out long other) && other == pair.Value);

    internal static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
