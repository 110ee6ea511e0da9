using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using static ConfluentInterop.Interop;

namespace ConfluentInterop;

/// <summary>
/// compression: for none, gzip, snappy, lz4 and zstd, a producer with that compression.type sends
/// keyed records with a header into a 2-partition topic of its own; every delivery succeeds, a
/// consumer (assign, check.crcs) reads each record back identical at its reported offset, and the
/// broker's segment files hold batches of that codec (it stores what the producer sent; librdkafka
/// leaves a batch uncompressed when compression would not shrink it).
/// </summary>
internal static class CompressionCase
{
    private const int Partitions = 2;
    private const int Records = 2000;

    public static async Task RunAsync(string[] args)
    {
        var versions = new RequestVersions();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Bootstrap }).Build();
        var summary = new List<string>();
        foreach (var (name, type, id) in new[]
                 {
                     ("none", CompressionType.None, 0), ("gzip", CompressionType.Gzip, 1), ("snappy", CompressionType.Snappy, 2),
                     ("lz4", CompressionType.Lz4, 3), ("zstd", CompressionType.Zstd, 4),
                 })
        {
            var clock = Stopwatch.StartNew();
            string topic = UniqueTopic("dotnet-codec-" + name);
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
            await WaitForLeadersAsync(admin, topic, Partitions);

            var sent = new Dictionary<(int, long), Message<byte[], byte[]>>();
            var producerConfig = new ProducerConfig
            {
                BootstrapServers = Bootstrap, Acks = Acks.All, CompressionType = type, LingerMs = 20,
                Partitioner = Partitioner.Murmur2Random,
            };
            RequestVersions.Configure(producerConfig);
            using (var producer = new ProducerBuilder<byte[], byte[]>(producerConfig).SetLogHandler(versions.Handler).Build())
            {
                var reports = new System.Collections.Concurrent.ConcurrentQueue<DeliveryReport<byte[], byte[]>>();
                for (int i = 0; i < Records; i++)
                {
                    string text = $"{name} record {i}: " + string.Concat(Enumerable.Repeat($"field-{i % 13}={i * 7919 % 1000} ", 1 + i % 40));
                    producer.Produce(topic, new Message<byte[], byte[]>
                    {
                        Key = Encoding.UTF8.GetBytes($"k{i % 97}"), Value = Encoding.UTF8.GetBytes(text),
                        Headers = new Headers { { "codec", Encoding.UTF8.GetBytes(name) } },
                    }, reports.Enqueue);
                }
                FlushAndAwaitReports(producer, () => reports.Count, Records, name);
                var failed = reports.Where(r => r.Error.IsError).ToList();
                Check(reports.Count == Records && failed.Count == 0,
                    $"{name}: {reports.Count} reports, {failed.Count} failed (first: {failed.FirstOrDefault()?.Error.Code} {failed.FirstOrDefault()?.Error.Reason})");
                foreach (var report in reports) sent[(report.Partition.Value, report.Offset.Value)] = report.Message;
            }
            Check(sent.Count == Records, $"{name}: {Records} records reported at only {sent.Count} distinct positions");

            var consumerConfig = new ConsumerConfig { BootstrapServers = Bootstrap, GroupId = "unused-" + topic, EnableAutoCommit = false, CheckCrcs = true };
            using (var consumer = new ConsumerBuilder<byte[], byte[]>(consumerConfig).Build())
            {
                consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
                var read = new HashSet<(int, long)>();
                while (read.Count < Records)
                {
                    Check(clock.Elapsed < TimeSpan.FromSeconds(40), $"{name}: read {read.Count} of {Records} records");
                    var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                    if (result is null) continue;
                    var position = (result.Partition.Value, result.Offset.Value);
                    Check(sent.TryGetValue(position, out var expected) && read.Add(position), $"{name}: read {result.TopicPartitionOffset} unexpectedly or twice");
                    Check(SameBytes(result.Message.Key, expected!.Key) && SameBytes(result.Message.Value, expected.Value) && SameHeaders(result.Message.Headers, expected.Headers),
                        $"{name}: at {result.TopicPartitionOffset} key {Show(result.Message.Key)} value {Show(result.Message.Value)} headers {Show(result.Message.Headers)}; " +
                        $"sent {Show(expected.Key)} {Show(expected.Value)} {Show(expected.Headers)}");
                }
                consumer.Close();
            }

            // librdkafka sends a batch uncompressed when compressing it would not make it smaller (a
            // small first batch, often), so codec 0 may sit beside the requested one; any other codec
            // would mean the broker rewrote what it was sent.
            var codecs = StoredCodecs(topic);
            Check(codecs.Values.All(found => found.Contains(id) && found.IsSubsetOf([0, id])),
                $"{name}: the segment files hold batches with codecs {string.Join(", ", codecs.Select(c => $"p{c.Key}: [{string.Join(",", c.Value)}]"))}; expected {id} (and 0 for batches compression would not shrink)");
            summary.Add($"{name} {clock.ElapsedMilliseconds} ms");
            Log($"{name}: {Records} records produced, read back identical, stored as {name} batches ({Show(CountBatches(topic))} batches per partition)");
        }
        Log($"every codec round-tripped and was stored as sent ({string.Join(", ", summary)}); requests: {versions.Summary("Produce")}" + SkippedSummary);
    }

    /// <summary>{partition: codec ids of its batches}, read from the Kafka on-disk layout (&lt;topic&gt;-&lt;p&gt;/*.log, RecordBatch v2).</summary>
    private static Dictionary<int, HashSet<int>> StoredCodecs(string topic)
    {
        var codecs = new Dictionary<int, HashSet<int>>();
        foreach (var (partition, batch) in Batches(topic))
        {
            codecs.TryAdd(partition, []);
            if (batch.Length > 0) codecs[partition].Add(BinaryPrimitives.ReadUInt16BigEndian(batch.AsSpan(21)) & 7);
        }
        Check(codecs.Count == Partitions && codecs.Values.All(found => found.Count > 0),
            $"segment files of {topic}: batches found for [{string.Join(",", codecs.Where(c => c.Value.Count > 0).Select(c => c.Key))}] of {Partitions} partitions");
        return codecs;
    }

    private static Dictionary<int, int> CountBatches(string topic) =>
        Batches(topic).Where(b => b.Batch.Length > 0).GroupBy(b => b.Partition).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Every batch header (the first 23 bytes) in the topic's segment files; an empty array marks a partition folder with none.</summary>
    private static IEnumerable<(int Partition, byte[] Batch)> Batches(string topic)
    {
        string dataDir = Env("GREGOR_DATA_DIR");
        foreach (string folder in Directory.GetDirectories(dataDir, topic + "-*"))
        {
            string suffix = Path.GetFileName(folder)[(topic.Length + 1)..];
            if (!int.TryParse(suffix, System.Globalization.CultureInfo.InvariantCulture, out int partition)) continue;
            yield return (partition, []);
            foreach (string segment in Directory.GetFiles(folder, "*.log").Order(StringComparer.Ordinal))
            {
                byte[] data = File.ReadAllBytes(segment);
                int position = 0;
                while (position + 23 <= data.Length)
                {
                    int length = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(position + 8));
                    if (length <= 0) break; // preallocated tail
                    yield return (partition, data[position..(position + 23)]);
                    position += 12 + length;
                }
            }
        }
    }
}
