using System.Collections.Concurrent;
using System.Globalization;
using Gregor.Client.Admin;
using Gregor.Metadata;
using Microsoft.Extensions.DependencyInjection;
using WireError = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Cluster;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    /// <summary>Clusters run one at a time and alone: their sessions are short, and a starved heartbeat would fence a live broker.</summary>
    public const string Name = "In-process clusters";
}

/// <summary>
/// Multi-node clusters in this process (<see cref="TestCluster"/>): brokers registering with and heartbeating to the
/// active controller, admin requests forwarded to it, partitions placed over the brokers and refused where they are
/// not led, controlled shutdown, session expiry, a quorum losing a node, and a broker restarting behind the metadata
/// log. Driven with Gregor's own producer, consumer and admin client where a client would be, and with raw requests
/// to one chosen node where a client's routing would hide which node answered. Waits are bounded generously and
/// assert what happens, not how fast.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests
{
    private static readonly string[] ControllerAndTwoBrokers = ["controller", "broker", "broker"];

    /// <summary>Waits until each running broker lists exactly <paramref name="brokers"/>.</summary>
    private static Task WaitForBrokersAsync(TestCluster cluster, params int[] brokers) =>
        WaitForBrokersAsync(cluster, brokers, [.. cluster.Brokers.Where(n => n.IsRunning)]);

    /// <summary>Waits until each of <paramref name="asked"/> lists exactly <paramref name="brokers"/> in its Metadata answer.</summary>
    private static async Task WaitForBrokersAsync(TestCluster cluster, int[] brokers, ClusterNode[] asked)
    {
        foreach (var node in asked)
        {
            int[] listed = [];
            await cluster.EventuallyAsync(async () => (listed = await TestCluster.ListedBrokersAsync(node)).SequenceEqual(brokers),
                $"{node} lists brokers {string.Join(",", brokers)} as unfenced", () => string.Join(",", listed));
        }
    }

    /// <summary>Waits until every given node lists <paramref name="topic"/> with a leader for each of its <paramref name="partitions"/>, the same on all; returns the leaders.</summary>
    private static async Task<int[]> WaitForLeadersAsync(TestCluster cluster, string topic, int partitions, params ClusterNode[] askedNodes)
    {
        int[]? leaders = null;
        await cluster.EventuallyAsync(async () =>
        {
            int[]? first = null;
            foreach (var node in askedNodes)
            {
                leaders = await TestCluster.LeadersAsync(node, topic);
                if (leaders is null || leaders.Length != partitions || leaders.Any(l => l < 0)) return false;
                if (first is not null && !first.SequenceEqual(leaders)) return false;
                first = leaders;
            }
            return true;
        }, $"{string.Join(", ", askedNodes.Select(n => n.ToString()))} list a leader for each of the {partitions} partitions of {topic}",
            () => leaders is null ? "no such topic" : string.Join(",", leaders));
        return leaders!;
    }

    private static IProducer<string, string> Producer(params ClusterNode[] bootstrap)
    {
        var config = new ProducerConfig { BootstrapServers = string.Join(",", bootstrap.Select(n => n.Bootstrap)) };
        config.Set("linger.ms", "5");
        config.Set("retry.backoff.ms", "50");
        return new ProducerBuilder<string, string>(config).Build();
    }

    private static IAdminClient Admin(params ClusterNode[] bootstrap) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = string.Join(",", bootstrap.Select(n => n.Bootstrap)) }).Build();

    /// <summary>Produces "prefix-i" for i below <paramref name="count"/>, round robin over the partitions; every one must be acknowledged.</summary>
    private static async Task<List<string>> ProduceAllAsync(IProducer<string, string> producer, string topic, int partitions, int count, string prefix)
    {
        var sent = new List<Task<DeliveryResult<string, string>>>();
        for (int i = 0; i < count; i++)
        {
            string value = prefix + "-" + i.ToString(CultureInfo.InvariantCulture);
            sent.Add(producer.ProduceAsync(new TopicPartition(topic, i % partitions), new Message<string, string> { Key = value, Value = value }));
        }
        var delivered = await Task.WhenAll(sent).WaitAsync(TestCluster.Patience);
        Assert.All(delivered, d => Assert.Equal(PersistenceStatus.Persisted, d.Status));
        return [.. delivered.Select(d => d.Message.Value)];
    }

    /// <summary>Reads every partition of <paramref name="topic"/> from the start until <paramref name="expected"/> values came.</summary>
    private static List<string> ReadAll(IConsumer<string, string> consumer, string topic, int partitions, int expected)
    {
        consumer.Assign([.. Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning))]);
        var values = new List<string>();
        var deadline = DateTime.UtcNow + TestCluster.Patience;
        while (values.Count < expected)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"only {values.Count} of {expected} records of {topic} came back");
            var result = consumer.Consume(left);
            if (result is { IsPartitionEOF: false }) values.Add(result.Message.Value);
        }
        return values;
    }

    [Fact]
    public async Task Brokers_of_a_controller_only_quorum_are_unfenced_share_a_forwarded_topic_and_refuse_partitions_they_do_not_lead()
    {
        // Nothing here is about sessions, and each direct produce below must be answered by the leader Metadata named:
        // with the clusters' 2 s session a broker starved that long on a loaded machine was fenced, its partitions went
        // leaderless, and it answered NOT_LEADER_OR_FOLLOWER (a real client retries that after refreshing metadata).
        await using var cluster = await TestCluster.StartAsync(ControllerAndTwoBrokers, "broker.session.timeout.ms=30000");
        ClusterNode b2 = cluster.Node(2), b3 = cluster.Node(3);
        await WaitForBrokersAsync(cluster, 2, 3);

        // Through a broker: the broker forwards it to the active controller on node 1.
        var created = await TestCluster.CreateTopicAsync(b3, "spread", 4);
        Assert.Equal(((short)0, 4), (created.ErrorCode, created.NumPartitions));
        int[] leaders = await WaitForLeadersAsync(cluster, "spread", 4, b2, b3);
        Assert.Equal([2, 3], leaders.Distinct().Order());
        Assert.True(cluster.Node(1).IsActiveController);

        // Each broker refuses a partition the other leads, so a client re-routes; it takes its own.
        int ledBy2 = Array.IndexOf(leaders, 2), ledBy3 = Array.IndexOf(leaders, 3);
        // A wrong answer carries the nodes' logs: under a heavily loaded machine a missed session would show there.
        async Task ExpectProduce(WireError expected, ClusterNode node, int partition, string value)
        {
            WireError actual = await TestCluster.ProduceAsync(node, "spread", partition, value);
            Assert.True(actual == expected, $"Produce to {node} for partition {partition} (leaders {string.Join(",", leaders)}): {actual}, expected {expected}\n{cluster.LogTail()}");
        }
        await ExpectProduce(WireError.NotLeaderOrFollower, b3, ledBy2, "misrouted");
        await ExpectProduce(WireError.NotLeaderOrFollower, b2, ledBy3, "misrouted");
        await ExpectProduce(WireError.UnknownTopicOrPartition, b2, 4, "no such partition");
        await ExpectProduce(WireError.None, b2, ledBy2, "direct-2");
        await ExpectProduce(WireError.None, b3, ledBy3, "direct-3");

        // The client's producer, bootstrapped from one broker only, sends each partition to its leader.
        List<string> sent;
        using (var producer = Producer(b2))
            sent = await ProduceAllAsync(producer, "spread", 4, 40, "spread");
        sent.AddRange(["direct-2", "direct-3"]);
        using (var consumer = ClusterClients.Consumer(b3))
            Assert.Equal(sent.Order(), ReadAll(consumer, "spread", 4, sent.Count).Order());

        // More replicas than registered brokers (two here) is refused, saying why.
        var refused = await TestCluster.CreateTopicAsync(b2, "twice", 1, replicationFactor: 3);
        Assert.Equal((short)WireError.InvalidReplicationFactor, refused.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(refused.ErrorMessage));
        using var admin = Admin(b3);
        var thrown = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = "twice", NumPartitions = 1, ReplicationFactor = 3 }]));
        var report = Assert.Single(thrown.Results);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, report.Error.Code);
        Assert.Equal(refused.ErrorMessage, report.Error.Reason);
        Assert.Null(await TestCluster.LeadersAsync(b2, "twice"));
    }

    [Fact]
    public async Task A_broker_stopped_cleanly_gives_its_partitions_up_before_its_session_could_expire_and_leads_them_again_on_return()
    {
        // A session far longer than any wait below: only the controlled shutdown can make the partitions leaderless in time.
        await using var cluster = await TestCluster.StartAsync(ControllerAndTwoBrokers, "broker.session.timeout.ms=120000");
        ClusterNode b2 = cluster.Node(2), b3 = cluster.Node(3);
        await WaitForBrokersAsync(cluster, 2, 3);
        Assert.Equal(0, (await TestCluster.CreateTopicAsync(b2, "moving", 4)).ErrorCode);
        int[] leaders = await WaitForLeadersAsync(cluster, "moving", 4, b2, b3);
        List<string> sent;
        using (var producer = Producer(b2, b3))
            sent = await ProduceAllAsync(producer, "moving", 4, 40, "before");

        await b3.StopAsync();

        Assert.NotEmpty(cluster.LogLines(3, "Controlled shutdown of broker 3 done"));
        int[] expected = [.. leaders.Select(l => l == 3 ? -1 : l)];
        int[]? seen = null;
        await cluster.EventuallyAsync(async () => (seen = await TestCluster.LeadersAsync(b2, "moving"))?.SequenceEqual(expected) == true,
            "broker 2 lists broker 3's partitions without a leader", () => seen is null ? "no topic" : string.Join(",", seen), patience: TimeSpan.FromSeconds(60));
        await WaitForBrokersAsync(cluster, [2], [b2]);
        Assert.True(cluster.Node(1).Image.Brokers[3].Fenced);
        Assert.Empty(cluster.LogLines(1, "Fenced broker(s)")); // not by session expiry

        // A new process over the same data dir: registered anew, unfenced once caught up, and the leader again.
        await b3.RestartAsync();
        Assert.Equal(leaders, await WaitForLeadersAsync(cluster, "moving", 4, b2, b3));
        await WaitForBrokersAsync(cluster, 2, 3);
        using (var consumer = ClusterClients.Consumer(b2))
            Assert.Equal(sent.Order(), ReadAll(consumer, "moving", 4, sent.Count).Order());
    }

    [Fact]
    public async Task A_broker_cut_off_from_the_controller_is_fenced_when_its_session_expires_and_unfenced_when_it_is_heard_again()
    {
        var cluster = TestCluster.Create(ControllerAndTwoBrokers);
        // Broker 3 reaches the controller only through a proxy the test can cut: it stays up but its heartbeats stop.
        await using var proxy = new TcpProxy(() => cluster.Node(1).ControllerPort);
        await using var stoppedBeforeTheProxy = cluster;
        cluster.Node(3).VoterPortOverrides[1] = proxy.Port;
        await cluster.StartAllAsync();
        ClusterNode b2 = cluster.Node(2), b3 = cluster.Node(3);
        await WaitForBrokersAsync(cluster, 2, 3);
        Assert.Equal(0, (await TestCluster.CreateTopicAsync(b2, "cut", 4)).ErrorCode);
        int[] leaders = await WaitForLeadersAsync(cluster, "cut", 4, b2, b3);

        proxy.Cut();

        int[] expected = [.. leaders.Select(l => l == 3 ? -1 : l)];
        int[]? seen = null;
        await cluster.EventuallyAsync(async () => (seen = await TestCluster.LeadersAsync(b2, "cut"))?.SequenceEqual(expected) == true,
            "broker 2 lists broker 3's partitions without a leader once 3's session expired", () => seen is null ? "no topic" : string.Join(",", seen));
        await WaitForBrokersAsync(cluster, [2], [b2]);
        Assert.True(cluster.Node(1).Image.Brokers[3].Fenced);
        await cluster.EventuallyAsync(() => cluster.LogLines(1, "Fenced broker(s) 3:").Count > 0, "the controller logs that broker 3's session expired");
        Assert.True(b3.IsRunning);
        Assert.Empty(cluster.LogLines(3, "Controlled shutdown"));

        proxy.Restore();

        // Its next heartbeat (same broker epoch) unfences it, and it leads its partitions again.
        Assert.Equal(leaders, await WaitForLeadersAsync(cluster, "cut", 4, b2, b3));
        await WaitForBrokersAsync(cluster, 2, 3);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Three_combined_nodes_still_create_topics_through_a_survivor_after_one_stops(bool stopTheActiveController)
    {
        // A fetch timeout long enough that the quorum does not move the controller elsewhere on its own (1.5 of it) while
        // a controlled shutdown may wait (15 s): the active controller's own broker must shut down through that controller.
        await using var cluster = await TestCluster.StartAsync(["broker,controller", "broker,controller", "broker,controller"],
            "controller.quorum.fetch.timeout.ms=20000");
        await WaitForBrokersAsync(cluster, 1, 2, 3);
        ClusterNode? active = null;
        await cluster.EventuallyAsync(() => (active = cluster.Nodes.SingleOrDefault(n => n.IsActiveController)) is not null, "one node is the active controller");
        var stopped = stopTheActiveController ? active! : cluster.Nodes.First(n => n != active);
        var survivors = cluster.Nodes.Where(n => n != stopped).ToArray();

        await stopped.StopAsync();

        Assert.NotEmpty(cluster.LogLines(stopped.Id, $"Controlled shutdown of broker {stopped.Id} done"));
        int[] ids = [.. survivors.Select(n => n.Id)];
        await WaitForBrokersAsync(cluster, ids);
        // Through a survivor whose own controller is not active, if there is one then: the creation is forwarded.
        var through = survivors.FirstOrDefault(n => !n.IsActiveController) ?? survivors[0];
        short error = -1;
        await cluster.EventuallyAsync(async () => (error = (await TestCluster.CreateTopicAsync(through, "after", 4)).ErrorCode) is 0 or (short)WireError.TopicAlreadyExists,
            $"a topic is created through {through}", () => ((WireError)error).ToString());
        int[] leaders = await WaitForLeadersAsync(cluster, "after", 4, survivors);
        Assert.Equal(ids, leaders.Distinct().Order());

        List<string> sent;
        using (var producer = Producer(survivors))
            sent = await ProduceAllAsync(producer, "after", 4, 20, "after");
        using (var consumer = ClusterClients.Consumer(survivors))
            Assert.Equal(sent.Order(), ReadAll(consumer, "after", 4, sent.Count).Order());
    }

    [Fact]
    public async Task A_broker_restarted_behind_the_metadata_log_serves_nothing_from_its_stale_log()
    {
        await using var cluster = await TestCluster.StartAsync(ControllerAndTwoBrokers);
        ClusterNode controller = cluster.Node(1), b2 = cluster.Node(2), b3 = cluster.Node(3);
        await WaitForBrokersAsync(cluster, 2, 3);
        Assert.Equal(0, (await TestCluster.CreateTopicAsync(b2, "doomed", 4)).ErrorCode);
        int[] leaders = await WaitForLeadersAsync(cluster, "doomed", 4, b2, b3);
        for (int p = 0; p < 4; p++)
            Assert.Equal(WireError.None, await TestCluster.ProduceAsync(cluster.Node(leaders[p]), "doomed", p, "old-" + p));
        int[] onB3 = [.. Enumerable.Range(0, 4).Where(p => leaders[p] == 3)];
        Assert.NotEmpty(onB3);
        Assert.All(onB3, p => Assert.True(Directory.Exists(Path.Combine(b3.DataDir, "doomed-" + p))));

        await b3.StopAsync();
        long stoppedEpoch = controller.Image.Brokers[3].Epoch;

        // While broker 3 is down the topic goes, and the log moves well past what broker 3 holds.
        using (var admin = Admin(b2))
        {
            await admin.DeleteTopicsAsync(["doomed"]);
            await admin.CreateTopicsAsync([.. Enumerable.Range(0, 10).Select(i => new TopicSpecification { Name = "later-" + i, NumPartitions = 1, ReplicationFactor = 1 })]);
        }
        await cluster.EventuallyAsync(() => controller.Image.Topic("later-9") is not null && controller.Image.Topic("doomed") is null, "the controller's image has the changes");
        long leaderOffsetAtRestart = controller.Image.Offset;

        // Everything broker 3 publishes after its restart, and the image it serves from when the controller unfences it.
        var published = new ConcurrentQueue<MetadataImage>();
        var servedWhenUnfenced = new TaskCompletionSource<MetadataImage>(TaskCreationOptions.RunContinuationsAsynchronously);
        controller.RunningHost.Services.GetRequiredService<IMetadataView>().Subscribe((_, next) =>
        {
            if (next.Brokers.TryGetValue(3, out var b) && b.Epoch > stoppedEpoch && !b.Fenced)
                servedWhenUnfenced.TrySetResult(b3.Image);
        });
        // Its Metadata answers from the moment it listens until it has answered with what changed while it was down.
        var answers = new ConcurrentQueue<string[]>();
        using var stopAsking = new CancellationTokenSource();
        var asking = Task.Run(async () =>
        {
            while (!stopAsking.IsCancellationRequested)
            {
                try
                {
                    answers.Enqueue([.. (await TestCluster.MetadataAsync(b3)).Topics.Select(t => t.Name!)]);
                }
                catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
                {
                }
                await Task.Delay(10);
            }
        });
        try
        {
            await b3.RestartAsync(host => host.Services.GetRequiredService<IMetadataView>().Subscribe((_, next) => published.Enqueue(next)));
            await WaitForBrokersAsync(cluster, 2, 3);
            await cluster.EventuallyAsync(() => answers.Any(topics => topics.Contains("later-9")), "broker 3 answers with the topics created while it was down");
        }
        finally
        {
            await stopAsking.CancelAsync();
            await asking;
        }

        // It published nothing older than the quorum at its restart, and served that much before it was unfenced.
        Assert.NotEmpty(published);
        Assert.True(published.First().Offset >= leaderOffsetAtRestart, $"first image published at {published.First().Offset}, the quorum was at {leaderOffsetAtRestart}");
        long servedOffset = (await servedWhenUnfenced.Task.WaitAsync(TestCluster.Patience)).Offset;
        Assert.True(servedOffset >= leaderOffsetAtRestart, $"unfenced while serving from offset {servedOffset}, the quorum was at {leaderOffsetAtRestart}");
        Assert.All(published, image => Assert.Null(image.Topic("doomed")));
        Assert.All(answers, topics => Assert.DoesNotContain("doomed", topics));

        // The deleted topic is not served, and its logs there are moved aside as stray once broker 3 has caught up.
        foreach (int p in onB3)
            Assert.Equal(WireError.UnknownTopicOrPartition, await TestCluster.ProduceAsync(b3, "doomed", p, "zombie"));
        string[] children = [];
        await cluster.EventuallyAsync(() =>
        {
            children = [.. Directory.GetDirectories(b3.DataDir).Select(d => Path.GetFileName(d)!)];
            return onB3.All(p => !children.Contains("doomed-" + p)
                && children.Count(c => c.StartsWith($"doomed-{p}.", StringComparison.Ordinal) && c.EndsWith("-stray", StringComparison.Ordinal)) == 1)
                && cluster.LogLines(3, "is stray").Count == onB3.Length;
        }, "broker 3 moves aside the logs of the topic deleted while it was down, and says so", () => string.Join(",", children));
    }
}
