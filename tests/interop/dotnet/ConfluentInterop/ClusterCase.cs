using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using static ConfluentInterop.Interop;

namespace ConfluentInterop;

/// <summary>
/// cluster: run by cases/cluster_clients.py, which starts a cluster of combined nodes (broker and controller) and sets
/// GREGOR_CLUSTER_BOOTSTRAPS to their client addresses. Through each address alone the AdminClient's Metadata lists
/// every node as a broker, at the address it advertises; a topic made by CreateTopics has its partitions led by
/// every broker; a producer (acks=all) bootstrapped from each address in turn sends keyed records, every delivery
/// succeeds; a consumer bootstrapped from each address in turn (assign, from the beginning, no group) reads every
/// partition to its end and finds each record at its reported partition and offset, identical, and nothing else.
/// </summary>
internal static class ClusterCase
{
    private const int Partitions = 6;
    private const int RecordsPerAddress = 1000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(string[] args)
    {
        string[] addresses = Env("GREGOR_CLUSTER_BOOTSTRAPS").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Check(addresses.Length >= 2, $"GREGOR_CLUSTER_BOOTSTRAPS names {addresses.Length} address(es); the case needs a cluster");
        var expected = addresses.Order(StringComparer.Ordinal).ToList();

        foreach (string address in addresses)
        {
            using var alone = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = address }).Build();
            var metadata = alone.GetMetadata(TimeSpan.FromSeconds(10));
            var seen = metadata.Brokers.Select(b => $"{b.Host}:{b.Port}").Order(StringComparer.Ordinal).ToList();
            Check(seen.SequenceEqual(expected) && metadata.Brokers.Select(b => b.BrokerId).Distinct().Count() == addresses.Length,
                $"Metadata through {address} lists brokers [{string.Join(", ", metadata.Brokers.Select(b => $"{b.BrokerId}@{b.Host}:{b.Port}"))}], expected one at each of [{string.Join(", ", expected)}]");
        }
        Log($"through each of {addresses.Length} addresses alone, Metadata lists the {addresses.Length} brokers");

        string topic = UniqueTopic("dotnet-cluster");
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = string.Join(",", addresses) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }],
            new CreateTopicsOptions { OperationTimeout = Timeout, RequestTimeout = Timeout });
        await WaitForLeadersAsync(admin, topic, Partitions);
        var leaders = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.ToDictionary(p => p.PartitionId, p => p.Leader);
        Check(leaders.Values.Distinct().Count() == addresses.Length,
            $"{topic}'s {Partitions} partitions are led by [{string.Join(",", leaders.Values.Distinct().Order())}] only; placement should use all {addresses.Length} brokers");
        Log($"created {topic} ({Partitions} partitions), leaders {Show(leaders.ToDictionary(p => p.Key, p => (long)p.Value))}");

        var sent = new Dictionary<(int Partition, long Offset), (string Key, string Value)>();
        var clock = Stopwatch.StartNew();
        foreach (string address in addresses)
        {
            var reports = new ConcurrentQueue<DeliveryReport<string, string>>();
            var config = new ProducerConfig { BootstrapServers = address, Acks = Acks.All, LingerMs = 5, MessageTimeoutMs = 30000 };
            using var producer = new ProducerBuilder<string, string>(config).Build();
            for (int i = 0; i < RecordsPerAddress; i++)
                producer.Produce(topic, new Message<string, string> { Key = $"k{i % 113}", Value = $"through {address}: record {i} " + new string('x', i % 300) }, reports.Enqueue);
            FlushAndAwaitReports(producer, () => reports.Count, RecordsPerAddress, $"producing through {address}");
            var failed = reports.Where(r => r.Error.IsError || r.Status != PersistenceStatus.Persisted).ToList();
            Check(failed.Count == 0, $"producing through {address}: {failed.Count} deliveries failed, first: {failed.FirstOrDefault()?.Error.Code} {failed.FirstOrDefault()?.Error.Reason}");
            foreach (var report in reports)
                Check(sent.TryAdd((report.Partition.Value, report.Offset.Value), (report.Message.Key, report.Message.Value)),
                    $"two records reported at {report.TopicPartitionOffset}");
        }
        Check(sent.Select(s => s.Key.Partition).Distinct().Count() == Partitions, $"records landed in partitions [{string.Join(",", sent.Select(s => s.Key.Partition).Distinct().Order())}] only");
        Log($"produced {RecordsPerAddress} records through each address (acks=all) in {clock.ElapsedMilliseconds} ms, every delivery succeeded");

        foreach (string address in addresses)
        {
            var config = new ConsumerConfig
            {
                BootstrapServers = address, GroupId = "unused-" + topic, EnableAutoCommit = false, EnablePartitionEof = true, CheckCrcs = true,
            };
            using var consumer = new ConsumerBuilder<string, string>(config).Build();
            var ends = Enumerable.Range(0, Partitions).ToDictionary(p => p,
                p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
            Check(ends.Values.Sum() == sent.Count, $"through {address}: the high watermarks {Show(ends)} add up to {ends.Values.Sum()}, {sent.Count} records were delivered");
            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            var read = new HashSet<(int, long)>();
            var atEnd = new HashSet<int>();
            clock.Restart();
            while (atEnd.Count < Partitions)
            {
                Check(clock.Elapsed < Timeout, $"through {address}: read {read.Count} of {sent.Count} records in {Timeout.TotalSeconds} s, partitions at their end: [{string.Join(",", atEnd.Order())}]");
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null) continue;
                int partition = result.Partition.Value;
                if (result.IsPartitionEOF)
                {
                    if (result.Offset.Value == ends[partition]) atEnd.Add(partition);
                    continue;
                }
                var position = (partition, result.Offset.Value);
                Check(sent.TryGetValue(position, out var record) && read.Add(position),
                    $"through {address}: read {result.TopicPartitionOffset}, which no delivery report gave, or twice");
                Check(result.Message.Key == record.Key && result.Message.Value == record.Value,
                    $"through {address}: at {result.TopicPartitionOffset} key '{result.Message.Key}' value '{Shorten(result.Message.Value)}'; sent '{record.Key}' '{Shorten(record.Value)}'");
            }
            Check(read.Count == sent.Count, $"through {address}: read {read.Count} records, {sent.Count} were delivered");
            consumer.Close();
        }
        Log($"Confluent.Kafka sees {addresses.Length} brokers through each address; {sent.Count} records produced through each address in turn " +
            $"read back identical through each, at their reported partitions and offsets");
    }

    private static string Shorten(string? text) => text is null ? "null" : text.Length <= 60 ? text : text[..60] + "...";
}
