using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using static ConfluentInterop.Interop;

namespace ConfluentInterop;

/// <summary>
/// leader-epoch: KIP-320 as librdkafka 2.16 does it. Records read back carry the leader epoch the broker stamped; a
/// seek to an offset with an epoch (<see cref="EpochSeek"/>) makes the consumer validate the position with
/// OffsetForLeaderEpoch before it fetches: inside the epoch it reads on from there; past the epoch's end is "log
/// truncation" (the consumer moves to the end the broker answered, or, with auto.offset.reset=error, reports it); an
/// epoch the broker does not know resets the position by auto.offset.reset. Without the broker's answers the consumer
/// would fetch at the stale offset and meet OFFSET_OUT_OF_RANGE (a reset to 0) instead, so each outcome shows that the
/// answer was used.
/// </summary>
internal static class LeaderEpochCase
{
    private const int Records = 10;

    public static async Task RunAsync(string[] args)
    {
        string library = BundledLibrdkafka.LoadedPath ?? throw new CheckFailedException("the bundled librdkafka is not loaded");
        var versions = new RequestVersions();
        string topic = UniqueTopic("dotnet-epoch");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Bootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
            await WaitForLeadersAsync(admin, topic, 1);
        }
        var partition = new TopicPartition(topic, 0);
        Produce(topic);

        int epoch;
        using (var consumer = NewConsumer(topic, AutoOffsetReset.Earliest, versions))
        {
            consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
            ConsumeResult<byte[], byte[]> first = Next(consumer, "the first record");
            Check(!first.IsPartitionEOF && first.Offset == 0, $"expected the record at offset 0, got {Describe(first)}");
            Check(first.LeaderEpoch is >= 0, $"the record at offset 0 carries no leader epoch ({first.LeaderEpoch})");
            epoch = first.LeaderEpoch!.Value;

            // Inside the epoch: validated, and reading goes on at the offset sought.
            EpochSeek.Seek(consumer, library, partition, 5, epoch);
            ConsumeResult<byte[], byte[]> inLine = Next(consumer, $"the record after a seek to 5 in epoch {epoch}");
            Check(!inLine.IsPartitionEOF && inLine.Offset == 5 && inLine.LeaderEpoch == epoch, $"after a seek to 5 in epoch {epoch}: {Describe(inLine)}");

            // Past the end of the epoch: truncation detected, the consumer moves to the end the broker answered and reports
            // reaching it; a fetch at 50 would have been out of range and reset to offset 0 instead.
            EpochSeek.Seek(consumer, library, partition, 50, epoch);
            ConsumeResult<byte[], byte[]> truncated = Next(consumer, $"the end after a seek to 50 in epoch {epoch}");
            Check(truncated.IsPartitionEOF && truncated.Offset == Records, $"after a seek to 50 in epoch {epoch}: {Describe(truncated)}, expected the end at {Records}");

            // An epoch above every one the broker knows: it answers no end offset (-1), so auto.offset.reset (earliest)
            // decides.
            EpochSeek.Seek(consumer, library, partition, 5, epoch + 5);
            ConsumeResult<byte[], byte[]> unknown = Next(consumer, $"the record after a seek to 5 in epoch {epoch + 5}");
            Check(!unknown.IsPartitionEOF && unknown.Offset == 0, $"after a seek to 5 in unknown epoch {epoch + 5}: {Describe(unknown)}, expected a reset to 0");
        }

        // With auto.offset.reset=error the truncation is reported to the application.
        string reported;
        using (var consumer = NewConsumer(topic, AutoOffsetReset.Error, versions))
        {
            consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
            Next(consumer, "the first record");
            EpochSeek.Seek(consumer, library, partition, 50, epoch);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                Check(clock.Elapsed < TimeSpan.FromSeconds(20), "no error 20 s after a seek past the epoch's end with auto.offset.reset=error");
                try
                {
                    ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                    Check(result is null, $"after a seek past the epoch's end with auto.offset.reset=error: {(result is null ? "" : Describe(result))}");
                }
                catch (ConsumeException error)
                {
                    Check(error.Error.Code == ErrorCode.Local_AutoOffsetReset && error.Error.Reason.Contains("truncation", StringComparison.OrdinalIgnoreCase),
                        $"expected a log truncation error, got {error.Error.Code}: {error.Error.Reason}");
                    reported = error.Error.Reason;
                    break;
                }
            }
        }

        Check(versions.Versions("OffsetForLeaderEpoch").Count > 0, "librdkafka sent no OffsetForLeaderEpoch request");
        Log($"leader epoch {epoch}: a seek inside it read on, past its end moved to {Records}, to an unknown epoch reset to 0; " +
            $"with auto.offset.reset=error: \"{reported}\"; requests: {versions.Summary("OffsetForLeaderEpoch", "Fetch", "ListOffsets")}");
    }

    /// <summary><see cref="Records"/> records, one batch each, acknowledged by all in-sync replicas.</summary>
    private static void Produce(string topic)
    {
        int reported = 0, failed = 0;
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = Bootstrap, Acks = Acks.All }).Build();
        for (int i = 0; i < Records; i++)
        {
            producer.Produce(new TopicPartition(topic, 0), new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes("k" + i), Value = Encoding.UTF8.GetBytes("v" + i) },
                report =>
                {
                    if (report.Error.IsError) Interlocked.Increment(ref failed);
                    Interlocked.Increment(ref reported);
                });
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        FlushAndAwaitReports(producer, () => Volatile.Read(ref reported), Records, "produce");
        Check(failed == 0, $"{failed} of {Records} deliveries failed");
    }

    private static IConsumer<byte[], byte[]> NewConsumer(string topic, AutoOffsetReset reset, RequestVersions versions)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = Bootstrap, GroupId = "unused-" + topic, EnableAutoCommit = false, EnablePartitionEof = true, AutoOffsetReset = reset,
        };
        RequestVersions.Configure(config);
        return new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler(versions.Handler).Build();
    }

    /// <summary>The next record or end-of-partition event, within 20 s.</summary>
    private static ConsumeResult<byte[], byte[]> Next(IConsumer<byte[], byte[]> consumer, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Check(clock.Elapsed < TimeSpan.FromSeconds(20), $"nothing within 20 s: {what}");
            ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is not null)
                return result;
        }
    }

    private static string Describe(ConsumeResult<byte[], byte[]> result) =>
        result.IsPartitionEOF ? $"end of partition at {result.Offset}" : $"record at {result.Offset} (leader epoch {result.LeaderEpoch})";
}
