using System.Collections.Concurrent;
using Gregor.Broker.Groups;
using Xunit.Abstractions;
using static Gregor.Client.Tests.Integration.ConsumerTestSupport;
using static Gregor.Client.Tests.Integration.GroupTestSupport;

namespace Gregor.Client.Tests.Integration;

/// <summary>
/// A minute of churn (45 seeded steps): Gregor consumers of one group, up to 20 at once, join, close and crash (disposed without Close: no
/// revocation, commit or LeaveGroup) at seeded random moments while a producer keeps writing. Throughout, no
/// partition is assigned to a member while another holds it, each generation's assignments are disjoint, nothing
/// is read from a partition not held, and no committed offset ever moves back (every commit is read from
/// __consumer_offsets as the broker stored it). At the end the survivors hold every partition once and every
/// record produced has been consumed at least once.
/// </summary>
public sealed class GroupChurnTests(ITestOutputHelper output)
{
    private const string Topic = "churn";
    private const string Group = "churn";
    private const int Partitions = 12;
    private const int MaxMembers = 20;
    private const int ChurnSteps = 45;

    [Fact]
    public async Task Twenty_members_joining_leaving_and_crashing_for_a_minute_keep_single_ownership_and_lose_nothing()
    {
        await using var broker = await ClientTestBroker.StartAsync([.. BrokerSettings, "offsets.topic.num.partitions=1"]);
        await CreateTopicAsync(broker, Topic, Partitions);
        var random = new Random(20_240_611);
        var holders = new ConcurrentDictionary<TopicPartition, string>();
        var rebalances = new ConcurrentQueue<Rebalance>();
        var live = new List<SubscribedConsumer>();
        var ended = new List<SubscribedConsumer>();
        using var stop = new CancellationTokenSource();
        var produced = new long[Partitions];
        var producing = Task.Run(() => ProduceAsync(broker, produced, stop.Token));
        var commits = new CommitWatch(broker);
        int created = 0, closed = 0, killed = 0, peak = 0, peakStep = 0;

        SubscribedConsumer Start()
        {
            var config = MemberConfig(broker, Group, "cooperative-sticky",
                ("session.timeout.ms", "3000"), ("auto.commit.interval.ms", "250"), ("client.id", "m" + created));
            created++;
            return new SubscribedConsumer("m" + (created - 1), config, [Topic], holders, rebalances);
        }

        try
        {
            for (int i = 0; i < 12; i++) live.Add(Start());
            peak = live.Count;
            // A fixed number of seeded steps, paced about a second apart: the schedule (who joins, closes or crashes,
            // and when the group reaches 20) is the same on any machine, however long each step takes.
            for (int step = 1; step <= ChurnSteps; step++)
            {
                await Task.Delay(random.Next(600, 1_800));
                // Joins a little likelier than departures: the group climbs to 20 members and churns there.
                bool join = live.Count < 3 || (live.Count < MaxMembers && random.Next(4) < 3);
                if (join)
                {
                    live.Add(Start());
                    if (live.Count > peak) (peak, peakStep) = (live.Count, step);
                    continue;
                }
                var victim = live[random.Next(live.Count)];
                live.Remove(victim);
                ended.Add(victim);
                if (random.Next(3) == 0)
                {
                    victim.Kill();
                    killed++;
                }
                else
                {
                    victim.Close();
                    closed++;
                }
            }
            await stop.CancelAsync();
            await producing;
            var everyone = live.Concat(ended).ToList();
            // The survivors settle (a crashed member is dropped after its 3 s session) and read to the end.
            await WaitUntilAsync(() => Split(live, Topic, Partitions) && AllConsumed(everyone, produced),
                () => $"produced [{string.Join(",", produced)}]; missing {Missing(everyone, produced)}; " + Describe(live), TimeSpan.FromSeconds(45));

            output.WriteLine($"{created} members started (at most {peak} at once, first at step {peakStep} of {ChurnSteps}), {closed} closed, {killed} crashed, {live.Count} at the end; " +
                $"{produced.Sum()} records produced, {everyone.Sum(m => m.Records.Count)} consumed; " +
                $"{rebalances.Select(r => r.Generation).Where(g => g >= 0).Distinct().Count()} generations; {commits.Count} commits watched");
            Assert.True(killed > 0 && closed > 0 && peak == MaxMembers, $"churn too mild: {created} started (at most {peak} at once), {closed} closed, {killed} crashed");
            Assert.All(everyone, m => Assert.Empty(m.Violations));
            Assert.All(everyone.SelectMany(m => m.Records), r => Assert.True(r.Held, $"{r.Member} read [{r.Partition}] @{r.Offset} without holding it"));
            AssertDisjointGenerations(rebalances);
            Assert.Empty(commits.Backwards);
            Assert.True(commits.Count > 0);
            Assert.All(live, m => Assert.DoesNotContain(m.Errors, e => e is not ConsumeException { Error.Code: ErrorCode.Local_MaxPollExceeded }));
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var m in live) m.Dispose();
            foreach (var m in ended) m.Dispose();
            await commits.DisposeAsync();
        }
    }

    /// <summary>Keeps writing "p-i" round-robin over the partitions, about 300 records a second, noting how many each partition got.</summary>
    private static async Task ProduceAsync(ClientTestBroker broker, long[] produced, CancellationToken stop)
    {
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 };
        using var producer = new ProducerBuilder<string, string>(config).Build();
        int next = 0;
        while (!stop.IsCancellationRequested)
        {
            var batch = new List<Task<DeliveryResult<string, string>>>(30);
            for (int i = 0; i < 30; i++, next++)
            {
                int partition = next % Partitions;
                batch.Add(producer.ProduceAsync(new TopicPartition(Topic, partition), new Message<string, string> { Key = "k", Value = $"{partition}-{next}" }));
            }
            foreach (var result in await Task.WhenAll(batch))
                produced[result.Partition.Value] = Math.Max(produced[result.Partition.Value], result.Offset.Value + 1);
            try { await Task.Delay(100, stop); }
            catch (OperationCanceledException) { }
        }
    }

    private static bool AllConsumed(List<SubscribedConsumer> members, long[] produced) => Missing(members, produced) == "none";

    private static string Missing(List<SubscribedConsumer> members, long[] produced)
    {
        var seen = new HashSet<(int, long)>(members.SelectMany(m => m.Records).Select(r => (r.Partition, r.Offset)));
        var missing = new List<string>();
        for (int p = 0; p < Partitions; p++)
        {
            long count = Enumerable.Range(0, (int)produced[p]).Count(o => !seen.Contains((p, o)));
            if (count > 0) missing.Add($"[{p}] {count}");
        }
        return missing.Count == 0 ? "none" : string.Join(" ", missing);
    }

    /// <summary>Replays each member's handler calls: after each generation's steps, no two members of it hold a partition in common.</summary>
    private static void AssertDisjointGenerations(IEnumerable<Rebalance> rebalances)
    {
        var held = new Dictionary<string, HashSet<TopicPartition>>();
        var byGeneration = new Dictionary<int, Dictionary<string, HashSet<TopicPartition>>>();
        foreach (var r in rebalances)
        {
            if (!held.TryGetValue(r.Member, out var mine)) held[r.Member] = mine = [];
            if (r.Kind == "assigned") mine.UnionWith(r.Partitions);
            else mine.ExceptWith(r.Partitions);
            if (r.Kind != "assigned" || r.Generation < 0) continue;
            if (!byGeneration.TryGetValue(r.Generation, out var members)) byGeneration[r.Generation] = members = [];
            members[r.Member] = [.. mine];
        }
        Assert.NotEmpty(byGeneration);
        foreach (var (generation, members) in byGeneration)
        {
            var owners = new Dictionary<TopicPartition, string>();
            foreach (var (member, partitions) in members)
                foreach (var tp in partitions)
                    Assert.True(owners.TryAdd(tp, member), $"generation {generation}: {tp} held by both {owners.GetValueOrDefault(tp)} and {member}");
        }
    }

    /// <summary>
    /// Reads every commit of the group from __consumer_offsets as it is written and checks that no partition's
    /// committed offset is ever lower than one committed before it.
    /// </summary>
    private sealed class CommitWatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reading;
        private readonly Dictionary<int, long> _last = [];
        private int _count;

        public CommitWatch(ClientTestBroker broker)
        {
            _reading = Task.Run(() => Read(broker));
        }

        public ConcurrentQueue<string> Backwards { get; } = new();

        public int Count => Volatile.Read(ref _count);

        private void Read(ClientTestBroker broker)
        {
            using var reader = new ConsumerBuilder<byte[], byte[]>(Config(broker)).Build();
            var start = DateTime.UtcNow;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (reader.Assignment.Count == 0) reader.Assign(new TopicPartitionOffset("__consumer_offsets", 0, Offset.Beginning));
                    var record = reader.Consume(TimeSpan.FromMilliseconds(100));
                    if (record?.Message is not { Key: { } key, Value: { } value }) continue;
                    if (GroupRecords.ReadKey(key) is not { Type: GroupRecords.OffsetCommitKeyType } k || k.Group != Group || k.Topic != Topic) continue;
                    long offset = GroupRecords.ReadOffsetValue(value).Offset;
                    if (_last.TryGetValue(k.Partition, out long before) && offset < before)
                        Backwards.Enqueue($"[{k.Partition}] committed {offset} after {before} (record {record.Offset})");
                    _last[k.Partition] = Math.Max(before, offset);
                    Interlocked.Increment(ref _count);
                }
                catch (KafkaException) when (DateTime.UtcNow - start < TimeSpan.FromSeconds(30))
                {
                    Thread.Sleep(100); // __consumer_offsets is created with the group's first FindCoordinator
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _stop.Dispose();
        }
    }
}
