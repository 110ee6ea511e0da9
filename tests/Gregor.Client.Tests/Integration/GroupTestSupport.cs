using Gregor.Client.Admin;
using static Gregor.Client.Tests.Integration.ConsumerTestSupport;

namespace Gregor.Client.Tests.Integration;

/// <summary>Brokers, settings and waiting for the subscribed-consumer tests.</summary>
internal static class GroupTestSupport
{
    /// <summary>No delay before the first rebalance, and sessions as short as one second allowed.</summary>
    public static readonly string[] BrokerSettings =
        ["group.initial.rebalance.delay.ms=0", "auto.create.topics.enable=false", "group.min.session.timeout.ms=1000"];

    public static ConsumerConfig MemberConfig(ClientTestBroker broker, string group, string strategy = "range", params (string Key, string Value)[] settings)
    {
        var config = Config(broker, ("group.id", group), ("auto.offset.reset", "earliest"), ("partition.assignment.strategy", strategy),
            ("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "300"), ("client.id", group + "-member"));
        foreach (var (key, value) in settings) config.Set(key, value);
        return config;
    }

    /// <summary>Produces <paramref name="count"/> records to every partition, values "p{partition}-{i}" from <paramref name="first"/>.</summary>
    public static async Task ProduceToEveryPartitionAsync(ClientTestBroker broker, string topic, int partitions, int count, int first = 0)
    {
        for (int p = 0; p < partitions; p++)
        {
            int partition = p;
            await ProduceAsync(broker, topic, partition, count, first, message: i => new Message<string, string> { Key = "k" + i, Value = $"p{partition}-{i}" });
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, Func<string> why, TimeSpan? patience = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), why, patience);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> why, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(40));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(why());
            await Task.Delay(50);
        }
    }

    /// <summary>The group as its coordinator describes it (DescribeGroups), with each member's assignment; null while it cannot say.</summary>
    public static async Task<ConsumerGroupDescription?> DescribeGroupAsync(ClientTestBroker broker, string group)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        try
        {
            return (await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions.Single();
        }
        catch (KafkaException)
        {
            return null; // the coordinator is loading or moving: ask again
        }
    }

    /// <summary>
    /// The rebalance is over on both sides: the coordinator has the group Stable with exactly these members, each holding
    /// (by its handlers' account) exactly what the coordinator assigned it, together every partition of the topic. No
    /// member is then about to give a partition up or take one.
    /// </summary>
    public static async Task<bool> SettledAsync(ClientTestBroker broker, string group, IReadOnlyCollection<SubscribedConsumer> members, string topic, int partitions)
    {
        if (!Split(members, topic, partitions) || await DescribeGroupAsync(broker, group) is not { State: ConsumerGroupState.Stable } described
            || described.Members.Count != members.Count)
        {
            return false;
        }
        return members.All(m => described.Members.FirstOrDefault(d => d.ConsumerId == m.Consumer.MemberId) is { } d
            && d.Assignment.TopicPartitions.ToHashSet().SetEquals(m.Held));
    }

    /// <summary>
    /// Every offset below <paramref name="end"/> of every partition was read by someone, and each member's position in
    /// every partition it holds is <paramref name="end"/>: nothing is left to read, so what was read (twice or not) is final.
    /// </summary>
    public static bool ReadToTheEnd(IReadOnlyCollection<SubscribedConsumer> everyone, IEnumerable<SubscribedConsumer> holders, int partitions, long end) =>
        Enumerable.Range(0, partitions).All(p => everyone.SelectMany(m => m.Records).Where(r => r.Partition == p).Select(r => r.Offset).Distinct().Count() == end)
        && holders.All(m => m.Held.All(tp => m.PositionOf(tp) == end));

    /// <summary>The members hold disjoint partitions that together are every partition of the topic.</summary>
    public static bool Split(IEnumerable<SubscribedConsumer> members, string topic, int partitions)
    {
        var all = new List<TopicPartition>();
        foreach (var m in members) all.AddRange(m.Held);
        return all.Count == partitions && all.Distinct().Count() == partitions && all.All(tp => tp.Topic == topic);
    }

    public static string Describe(IEnumerable<SubscribedConsumer> members) => string.Join("; ", members.Select(m =>
        $"{m.Name} holds [{string.Join(",", m.Held.Select(p => p.Partition.Value).Order())}] consumed {m.Records.Count} " +
        $"rebalances {string.Join(" ", m.Rebalances.Select(r => $"{r.Kind}@{r.Generation}[{string.Join(",", r.Partitions.Select(p => p.Partition.Value))}]"))} " +
        $"errors {string.Join(" | ", m.Errors.Select(e => e.Message))} violations {string.Join(" | ", m.Violations)}"));

    /// <summary>The group's committed offsets of the partitions, as the admin client reads them (-1 where none).</summary>
    public static async Task<Dictionary<int, long>> CommittedAsync(ClientTestBroker broker, string group, string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        var asked = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        var result = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, asked)]);
        return result.Single().Partitions.ToDictionary(p => p.Partition.Value, p => p.Offset.Value);
    }
}
