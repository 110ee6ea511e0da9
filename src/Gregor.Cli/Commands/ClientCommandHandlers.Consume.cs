using System.Diagnostics;
using System.Globalization;
using Gregor.Cli.Output;
using Gregor.Client;
using Gregor.Client.Admin;

namespace Gregor.Cli.Commands;

/// <summary><c>gregor consume</c> and <c>gregor perf consume</c>, over the managed consumer.</summary>
internal sealed partial class ClientCommandHandlers
{
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long one Consume call waits, so that cancellation and --timeout-ms are noticed promptly.</summary>
    private static readonly TimeSpan ConsumeSlice = TimeSpan.FromMilliseconds(200);

    public Task<int> ConsumeAsync(ConsumeArgs args, CancellationToken cancellationToken) => Guarded("consume", args.Target, async () =>
    {
        var partitions = await PartitionsToReadAsync("consume", args.Target, args.Topic, args.Partition).ConfigureAwait(false);
        if (partitions is null) return 1;
        IConsumer<byte[], byte[]> consumer;
        if (args.GroupId is { } group)
        {
            // As kafka-console-consumer --group: a member of the group, starting where the group committed (else at the
            // end, or the beginning with --from-beginning), committing what it printed as it goes and when it stops.
            if (args.StartOffset == Offset.Beginning && args.ConsumerProperties.ContainsKey("auto.offset.reset"))
            {
                await _error.WriteLineAsync("gregor consume: give --from-beginning or auto.offset.reset, not both").ConfigureAwait(false);
                return 2;
            }
            var config = ConsumerConfigFor(args.Target, args.ConsumerProperties, new()
            {
                ["group.id"] = group,
                ["auto.offset.reset"] = args.StartOffset == Offset.Beginning ? "earliest" : "latest",
            });
            consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetErrorHandler((_, e) => _error.WriteLine($"gregor consume: warning: {OneLine(e.Reason)}"))
                .Build();
            consumer.Subscribe(args.Topic);
        }
        else
        {
            consumer = new ConsumerBuilder<byte[], byte[]>(ConsumerConfigFor(args.Target, args.ConsumerProperties))
                .SetErrorHandler((_, e) => _error.WriteLine($"gregor consume: warning: {OneLine(e.Reason)}"))
                .Build();
        }
        using (consumer)
        {
            if (args.GroupId is null) consumer.Assign(StartPositions(consumer, args, partitions));
            var printer = new RecordPrinter(_out, args.Target.Output, args.Print);
            long count = 0;
            long idleSince = Stopwatch.GetTimestamp();
            int exit = 0;
            try
            {
                while ((args.MaxMessages is null || count < args.MaxMessages) && !cancellationToken.IsCancellationRequested)
                {
                    var record = consumer.Consume(ConsumeSlice);
                    if (record is null || record.IsPartitionEOF)
                    {
                        if (args.Timeout is { } idle && Stopwatch.GetElapsedTime(idleSince) >= idle) break;
                        continue;
                    }
                    printer.Print(record);
                    count++;
                    idleSince = Stopwatch.GetTimestamp();
                }
            }
            catch (ConsumeException e)
            {
                await _out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                var at = e.ConsumerRecord;
                await _error.WriteLineAsync(at.Topic.Length == 0
                    ? $"gregor consume: {OneLine(e.Error.Reason)}"
                    : $"gregor consume: {at.Topic} [{at.Partition.Value}] at offset {at.Offset.Value}: {OneLine(e.Error.Reason)}").ConfigureAwait(false);
                exit = 1;
            }
            await _out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            // A member revokes its partitions, commits what was printed and leaves the group; without a group this just stops.
            try
            {
                consumer.Close();
            }
            catch (KafkaException e)
            {
                await _error.WriteLineAsync($"gregor consume: warning: closing: {OneLine(e.Error.Reason)}").ConfigureAwait(false);
            }
            if (exit != 0) return exit;
            // As kafka-console-consumer does, on standard error so that standard output stays the records only.
            await _error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Processed a total of {count} messages")).ConfigureAwait(false);
            return 0;
        }
    });

    /// <summary>Where each partition starts: an offset, the beginning or end, or the first record at or after a time.</summary>
    private static List<TopicPartitionOffset> StartPositions(IConsumer<byte[], byte[]> consumer, ConsumeArgs args, List<TopicPartition> partitions)
    {
        if (args.StartTimestamp is { } at)
        {
            var byTime = partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp(at, TimestampType.CreateTime)));
            return consumer.OffsetsForTimes(byTime, LookupTimeout);
        }
        return [.. partitions.Select(p => new TopicPartitionOffset(p, args.StartOffset))];
    }

    public Task<int> PerfConsumeAsync(PerfConsumeArgs args, CancellationToken cancellationToken) => Guarded("perf consume", args.Target, async () =>
    {
        var partitions = await PartitionsToReadAsync("perf consume", args.Target, args.Topic, null).ConfigureAwait(false);
        if (partitions is null) return 1;
        // Keys and values are measured, not copied: the run times the consumer, not byte[] allocation.
        var defaults = args.GroupId is { } group ? new Dictionary<string, string> { ["group.id"] = group, ["auto.offset.reset"] = "earliest" } : null;
        using var consumer = new ConsumerBuilder<int, int>(ConsumerConfigFor(args.Target, args.ConsumerProperties, defaults))
            .SetKeyDeserializer(ByteCount.Instance).SetValueDeserializer(ByteCount.Instance)
            .SetErrorHandler((_, e) => _error.WriteLine($"gregor perf consume: warning: {OneLine(e.Reason)}"))
            .Build();
        if (args.GroupId is null) consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        else consumer.Subscribe(args.Topic);
        long records = 0, bytes = 0;
        long start = Stopwatch.GetTimestamp();
        long last = start;
        while (records < args.NumRecords && !cancellationToken.IsCancellationRequested)
        {
            var record = consumer.Consume(ConsumeSlice);
            if (record is null)
            {
                if (Stopwatch.GetElapsedTime(last) >= args.Timeout) break;
                continue;
            }
            records++;
            bytes += record.Message.Key + record.Message.Value;
            last = Stopwatch.GetTimestamp();
        }
        if (args.GroupId is not null) consumer.Close(); // commits what was read and leaves the group
        double seconds = Stopwatch.GetElapsedTime(start, last).TotalSeconds;
        new ResultWriter(_out, args.Target.Output).PerfConsume(new PerfReport("consume", records, bytes, seconds, 0, 0, 0, 0, 0, 0, 0));
        if (records < args.NumRecords && !cancellationToken.IsCancellationRequested)
        {
            await _error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"gregor perf consume: only {records} of {args.NumRecords} records came; none for {args.Timeout.TotalMilliseconds} ms")).ConfigureAwait(false);
            return 1;
        }
        return 0;
    });

    /// <summary>
    /// The partitions of the topic to read (one when given), checked against the cluster first so that an unknown
    /// topic or partition is a clear error rather than an endless wait; null after printing why not.
    /// </summary>
    private async Task<List<TopicPartition>?> PartitionsToReadAsync(string command, ClientTarget target, string topic, int? partition)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = target.Bootstrap }).Build();
        var metadata = admin.GetMetadata(topic, LookupTimeout).Topics.FirstOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.Code == ErrorCode.UnknownTopicOrPartition)
        {
            await _error.WriteLineAsync($"gregor {command}: topic '{topic}' does not exist").ConfigureAwait(false);
            return null;
        }
        if (metadata.Error.IsError)
        {
            await _error.WriteLineAsync($"gregor {command}: topic '{topic}': {OneLine(metadata.Error.Reason)}").ConfigureAwait(false);
            return null;
        }
        var all = metadata.Partitions.Select(p => p.PartitionId).Order().ToList();
        if (partition is { } only)
        {
            if (!all.Contains(only))
            {
                await _error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"gregor {command}: topic '{topic}' has {all.Count} partition(s); there is no partition {only}")).ConfigureAwait(false);
                return null;
            }
            return [new TopicPartition(topic, only)];
        }
        return [.. all.Select(p => new TopicPartition(topic, p))];
    }

    /// <summary>The consumer's settings: the CLI's defaults (<paramref name="defaults"/> on top), then the user's properties over them.</summary>
    private static ConsumerConfig ConsumerConfigFor(ClientTarget target, IReadOnlyDictionary<string, string> properties, Dictionary<string, string>? defaults = null)
    {
        // The topic was checked to exist; reading must not create one, and nothing is committed without a group.
        var config = new ConsumerConfig { BootstrapServers = target.Bootstrap };
        config.Set("allow.auto.create.topics", "false");
        foreach (var (key, value) in defaults ?? []) config.Set(key, value);
        foreach (var (key, value) in properties) config.Set(key, value);
        return config;
    }

    /// <summary>A "deserializer" that gives the size of a key or value (0 for null) without copying it.</summary>
    private sealed class ByteCount : IDeserializer<int>
    {
        public static readonly ByteCount Instance = new();

        public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => data.Length;
    }
}
