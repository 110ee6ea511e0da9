using System.Globalization;
using Gregor.Client.Admin;

namespace Gregor.Client.Tests.Integration;

/// <summary>Topics, records and consumers for the consumer tests.</summary>
internal static class ConsumerTestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task CreateTopicAsync(ClientTestBroker broker, string topic, int partitions, Dictionary<string, string>? configs = null)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1, Configs = configs }]);
    }

    /// <summary>Produces "value-i" (key "key-i") to one partition, i from <paramref name="first"/>; returns the offsets.</summary>
    public static async Task<long[]> ProduceAsync(ClientTestBroker broker, string topic, int partition, int count, int first = 0, string codec = "none",
        Func<int, Message<string, string>>? message = null, int lingerMs = 5)
    {
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("compression.type", codec);
        config.Set("linger.ms", lingerMs.ToString(CultureInfo.InvariantCulture));
        config.Set("enable.idempotence", "false");
        using var producer = new ProducerBuilder<string, string>(config).Build();
        var tasks = new List<Task<DeliveryResult<string, string>>>(count);
        for (int i = first; i < first + count; i++)
            tasks.Add(producer.ProduceAsync(new TopicPartition(topic, partition), message?.Invoke(i) ?? Record(i)));
        var results = await Task.WhenAll(tasks);
        return [.. results.Select(r => r.Offset.Value)];
    }

    public static Message<string, string> Record(int i) => new() { Key = "key-" + i, Value = "value-" + i };

    public static ConsumerConfig Config(ClientTestBroker broker, params (string Key, string Value)[] settings)
    {
        var config = new ConsumerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("fetch.max.wait.ms", "100");
        config.Set("retry.backoff.ms", "50");
        config.Set("reconnect.backoff.ms", "50");
        config.Set("reconnect.backoff.max.ms", "200");
        foreach (var (key, value) in settings) config.Set(key, value);
        return config;
    }

    public static IConsumer<string, string> NewConsumer(ClientTestBroker broker, params (string Key, string Value)[] settings) =>
        new ConsumerBuilder<string, string>(Config(broker, settings)).Build();

    /// <summary>Consumes <paramref name="count"/> records (partition ends skipped), failing if they do not come within <see cref="Patience"/>.</summary>
    public static List<ConsumeResult<TKey, TValue>> Take<TKey, TValue>(IConsumer<TKey, TValue> consumer, int count, TimeSpan? patience = null)
    {
        var taken = new List<ConsumeResult<TKey, TValue>>(count);
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (taken.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"only {taken.Count} of {count} records came");
            var result = consumer.Consume(left);
            if (result is { IsPartitionEOF: false }) taken.Add(result);
        }
        return taken;
    }

    /// <summary>Asserts nothing more comes for a while.</summary>
    public static void NothingMore<TKey, TValue>(IConsumer<TKey, TValue> consumer, int milliseconds = 500)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(milliseconds);
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(deadline - DateTime.UtcNow);
            Assert.True(result is null or { IsPartitionEOF: true }, $"unexpected record at {result?.TopicPartitionOffset}");
        }
    }
}
