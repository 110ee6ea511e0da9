using System.Globalization;
using Gregor.Broker.Replication;
using Gregor.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Client.Tests.Cluster;

/// <summary>
/// Replicated partitions in an in-process cluster (one controller, three brokers): followers copy the leader's batches
/// byte for byte, acks=all answers once the ISR has them, and after the leader goes away and comes back no
/// acknowledged record is lost or doubled and the replicas' logs are the same. Driven with Gregor's own client.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReplicationTests
{
    private static readonly string[] ControllerAndThreeBrokers = ["controller", "broker", "broker", "broker"];

    private static IProducer<string, string> Producer(params ClusterNode[] bootstrap)
    {
        var config = new ProducerConfig { BootstrapServers = string.Join(",", bootstrap.Select(n => n.Bootstrap)) };
        config.Set("acks", "all");
        config.Set("linger.ms", "5");
        config.Set("retry.backoff.ms", "50");
        config.Set("enable.idempotence", "false");
        return new ProducerBuilder<string, string>(config).Build();
    }

    private static async Task<List<string>> ProduceAllAsync(IProducer<string, string> producer, string topic, int count, string prefix)
    {
        var sent = new List<Task<DeliveryResult<string, string>>>();
        for (int i = 0; i < count; i++)
        {
            string value = prefix + "-" + i.ToString(CultureInfo.InvariantCulture);
            sent.Add(producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, string> { Key = value, Value = value }));
        }
        var delivered = await Task.WhenAll(sent).WaitAsync(TestCluster.Patience);
        return [.. delivered.Select(d => d.Message.Value)];
    }

    private static List<string> ReadAll(IConsumer<string, string> consumer, string topic, int expected)
    {
        consumer.Assign([new TopicPartitionOffset(topic, 0, Offset.Beginning)]);
        var values = new List<string>();
        var deadline = DateTime.UtcNow + TestCluster.Patience;
        while (values.Count < expected)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"only {values.Count} of {expected} records of {topic} came back");
            var result = consumer.Consume(left);
            if (result is { IsPartitionEOF: false }) values.Add(result.Message.Value);
        }
        // Nothing more than was acknowledged (a duplicate would show as an extra record).
        var extra = consumer.Consume(TimeSpan.FromMilliseconds(500));
        Assert.True(extra is null || extra.IsPartitionEOF, $"an unexpected record: {extra?.Message.Value}");
        return values;
    }

    private static HostedPartition? Replica(ClusterNode node, string topic) =>
        node.IsRunning ? node.RunningHost.Services.GetRequiredService<ReplicaManager>().GetPartition(topic, 0) : null;

    /// <summary>Every byte of a replica's log, batch after batch, from its start to its end.</summary>
    private static byte[] LogBytes(PartitionLog log)
    {
        var bytes = new List<byte>();
        long next = log.LogStartOffset;
        while (next < log.LogEndOffset)
        {
            using LogReadResult read = log.Read(next, 1024 * 1024);
            if (read.BatchCount == 0) break;
            bytes.AddRange(read.Records.ToArray());
            next = read.NextOffset;
        }
        return [.. bytes];
    }

    private static async Task<int> LeaderAsync(TestCluster cluster, string topic, ClusterNode asked, Func<int, bool>? accept = null)
    {
        int leader = -1;
        await cluster.EventuallyAsync(async () =>
        {
            leader = (await TestCluster.LeadersAsync(asked, topic))?.SingleOrDefault() ?? -1;
            return leader > 0 && (accept?.Invoke(leader) ?? true);
        }, $"{asked} lists a leader for {topic}", () => leader.ToString(CultureInfo.InvariantCulture));
        return leader;
    }

    /// <summary>Waits until every running replica has the same log end offset (at least <paramref name="atLeast"/>) and high watermark, then compares their bytes.</summary>
    private static async Task AssertReplicasIdenticalAsync(TestCluster cluster, string topic, long atLeast)
    {
        ClusterNode[] running = [.. cluster.Brokers.Where(n => n.IsRunning)];
        string state = "";
        await cluster.EventuallyAsync(() =>
        {
            var logs = running.Select(n => Replica(n, topic)?.Log).ToArray();
            state = string.Join("; ", running.Zip(logs, (n, l) => $"{n.Id}: end {l?.LogEndOffset} hw {l?.HighWatermark}"));
            return logs.All(l => l is not null && l.LogEndOffset >= atLeast && l.LogEndOffset == logs[0]!.LogEndOffset && l.HighWatermark == l.LogEndOffset);
        }, $"every replica of {topic} reaches the same end (at least {atLeast})", () => state);
        byte[] first = LogBytes(Replica(running[0], topic)!.Log);
        foreach (ClusterNode node in running.Skip(1))
            Assert.True(first.AsSpan().SequenceEqual(LogBytes(Replica(node, topic)!.Log)), $"the log of node {node.Id} differs from node {running[0].Id}'s");
    }

    /// <summary>Starts the cluster and waits until each broker serves and lists all three.</summary>
    private static async Task<TestCluster> StartAsync(params string[] settings)
    {
        var cluster = await TestCluster.StartAsync(ControllerAndThreeBrokers, settings);
        foreach (ClusterNode node in cluster.Brokers)
        {
            int[] listed = [];
            await cluster.EventuallyAsync(async () => (listed = await TestCluster.ListedBrokersAsync(node)).SequenceEqual([2, 3, 4]),
                $"{node} lists brokers 2, 3 and 4", () => string.Join(",", listed));
        }
        return cluster;
    }

    [Fact]
    public async Task Followers_copy_the_leaders_batches_byte_for_byte_and_acks_all_answers_once_the_isr_has_them()
    {
        await using var cluster = await StartAsync();
        ClusterNode b2 = cluster.Node(2);
        var created = await TestCluster.CreateTopicAsync(b2, "copied", 1, replicationFactor: 3);
        Assert.Equal(0, created.ErrorCode);
        await LeaderAsync(cluster, "copied", b2);

        List<string> sent;
        using (var producer = Producer(b2))
            sent = await ProduceAllAsync(producer, "copied", 200, "r");
        await AssertReplicasIdenticalAsync(cluster, "copied", 200);
        using (var consumer = ClusterClients.Consumer(b2))
            Assert.Equal(sent, ReadAll(consumer, "copied", sent.Count));
    }

    [Fact]
    public async Task After_the_leader_stops_and_returns_every_acknowledged_record_is_read_once_and_the_replicas_agree()
    {
        await using var cluster = await StartAsync();
        ClusterNode b2 = cluster.Node(2);
        Assert.Equal(0, (await TestCluster.CreateTopicAsync(b2, "failover", 1, replicationFactor: 3)).ErrorCode);
        int first = await LeaderAsync(cluster, "failover", b2);

        var acknowledged = new List<string>();
        using (var producer = Producer(cluster.Brokers.ToArray()))
        {
            acknowledged.AddRange(await ProduceAllAsync(producer, "failover", 100, "before"));
            await AssertReplicasIdenticalAsync(cluster, "failover", 100);

            ClusterNode old = cluster.Node(first);
            await old.StopAsync(TimeSpan.FromSeconds(5));
            ClusterNode survivor = cluster.Brokers.First(n => n.IsRunning);
            int second = await LeaderAsync(cluster, "failover", survivor, l => l != first);
            Assert.NotEqual(first, second);

            acknowledged.AddRange(await ProduceAllAsync(producer, "failover", 100, "during"));

            await old.RestartAsync();
            acknowledged.AddRange(await ProduceAllAsync(producer, "failover", 100, "after"));
        }
        await AssertReplicasIdenticalAsync(cluster, "failover", 300);
        using var consumer = ClusterClients.Consumer(cluster.Brokers.ToArray());
        List<string> read = ReadAll(consumer, "failover", acknowledged.Count);
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_former_leader_with_an_unreplicated_tail_truncates_it_when_it_returns_as_a_follower()
    {
        await using var cluster = await StartAsync();
        ClusterNode b2 = cluster.Node(2);
        Assert.Equal(0, (await TestCluster.CreateTopicAsync(b2, "divergent", 1, replicationFactor: 3)).ErrorCode);
        var acknowledged = new List<string>();
        using var producer = Producer(cluster.Brokers.ToArray());
        acknowledged.AddRange(await ProduceAllAsync(producer, "divergent", 50, "before"));
        await AssertReplicasIdenticalAsync(cluster, "divergent", 50);
        int first = await LeaderAsync(cluster, "divergent", b2);
        ClusterNode old = cluster.Node(first);
        int oldEpoch = Replica(old, "divergent")!.Log.LatestEpoch;
        await old.StopAsync(TimeSpan.FromSeconds(5));
        await LeaderAsync(cluster, "divergent", cluster.Brokers.First(n => n.IsRunning), l => l != first);

        // What the old leader wrote in its epoch and never replicated (it died first): a tail no other replica has.
        using (var log = PartitionLog.Open(Path.Combine(old.DataDir, "divergent-0")))
        {
            using var builder = new Gregor.Protocol.Records.RecordBatchBuilder();
            for (int i = 0; i < 5; i++) builder.Append(0, null, System.Text.Encoding.UTF8.GetBytes("ghost-" + i.ToString(CultureInfo.InvariantCulture)));
            log.Append(builder.Build().ToArray(), oldEpoch);
            Assert.Equal(55, log.LogEndOffset);
        }
        acknowledged.AddRange(await ProduceAllAsync(producer, "divergent", 50, "after"));

        await old.RestartAsync();
        await AssertReplicasIdenticalAsync(cluster, "divergent", 100);
        Assert.NotEmpty(cluster.LogLines(first, "Truncated divergent-0 from 55 to 50"));
        using var consumer = ClusterClients.Consumer(cluster.Brokers.ToArray());
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), ReadAll(consumer, "divergent", acknowledged.Count).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_follower_that_stops_fetching_leaves_the_isr_after_the_lag_time_and_rejoins_once_caught_up()
    {
        await using var cluster = await StartAsync("replica.lag.time.max.ms=3000");
        ClusterNode b2 = cluster.Node(2);
        Assert.Equal(0, (await TestCluster.CreateTopicAsync(b2, "lagging", 1, replicationFactor: 3)).ErrorCode);
        int leader = await LeaderAsync(cluster, "lagging", b2);
        using var producer = Producer(cluster.Brokers.ToArray());
        var acknowledged = await ProduceAllAsync(producer, "lagging", 20, "first");
        await AssertReplicasIdenticalAsync(cluster, "lagging", 20);
        ClusterNode follower = cluster.Brokers.First(n => n.Id != leader);
        int[] Isr() => [.. cluster.Node(leader).Image.Topic("lagging")!.Partitions[0].Isr.Order()];

        // The follower stays up and registered but stops fetching: the leader asks the controller to drop it.
        var fetchers = follower.RunningHost.Services.GetRequiredService<Gregor.Broker.Replication.Fetching.ReplicaFetcherManager>();
        await fetchers.StopAsync(CancellationToken.None);
        acknowledged.AddRange(await ProduceAllAsync(producer, "lagging", 20, "second"));
        await cluster.EventuallyAsync(() => !Isr().Contains(follower.Id), $"the ISR drops node {follower.Id}", () => string.Join(",", Isr()));
        Assert.NotEmpty(cluster.LogLines(leader, "Shrinking the ISR of lagging-0"));

        // Fetching again, it catches up and is asked back in.
        await fetchers.StartAsync(CancellationToken.None);
        await cluster.EventuallyAsync(() => Isr().Length == 3, $"node {follower.Id} rejoins the ISR", () => string.Join(",", Isr()));
        acknowledged.AddRange(await ProduceAllAsync(producer, "lagging", 20, "third"));
        await AssertReplicasIdenticalAsync(cluster, "lagging", 60);
        using var consumer = ClusterClients.Consumer(cluster.Brokers.ToArray());
        Assert.Equal(acknowledged, ReadAll(consumer, "lagging", acknowledged.Count));
    }
}
