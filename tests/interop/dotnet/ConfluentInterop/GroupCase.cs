using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using static ConfluentInterop.Interop;

namespace ConfluentInterop;

/// <summary>
/// group STRATEGY (range or cooperative-sticky): consumers a and b share a 4-partition topic in one
/// group (disjoint, covering, as DescribeConsumerGroups shows too); records produced after they joined
/// are each read once, by the owner of their partition. Both commit; b commits its partitions short of
/// what it read and leaves: a takes them over (cooperative: without giving up its own) and reads exactly
/// from b's committed offset, nothing of its own again. After a leaves too, the group's offsets
/// (ListConsumerGroupOffsets) are a's commits, and a new member c resumes exactly there.
/// </summary>
internal static class GroupCase
{
    private const int Partitions = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private sealed class Member : IDisposable
    {
        private readonly string _topic;
        public string Name { get; }
        public IConsumer<byte[]?, byte[]?> Consumer { get; }
        public List<(int Partition, long Offset)> Reads { get; } = [];
        public List<string> Events { get; } = [];
        public HashSet<int> Revoked { get; } = [];

        public Member(string name, string group, string topic, PartitionAssignmentStrategy strategy, RequestVersions versions)
        {
            _topic = topic;
            Name = name;
            var config = new ConsumerConfig
            {
                BootstrapServers = Bootstrap, GroupId = group, ClientId = "dotnet-member-" + name,
                AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
                SessionTimeoutMs = 6000, HeartbeatIntervalMs = 500, PartitionAssignmentStrategy = strategy,
            };
            RequestVersions.Configure(config);
            Consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
                .SetLogHandler(versions.Handler)
                .SetPartitionsAssignedHandler((_, partitions) => Events.Add("assigned " + ShowSet(partitions.Select(p => p.Partition.Value))))
                .SetPartitionsRevokedHandler((_, partitions) =>
                {
                    Events.Add("revoked " + ShowSet(partitions.Select(p => p.Partition.Value)));
                    Revoked.UnionWith(partitions.Select(p => p.Partition.Value));
                })
                .SetPartitionsLostHandler((_, partitions) => Events.Add("lost " + ShowSet(partitions.Select(p => p.Partition.Value))))
                .Build();
            Consumer.Subscribe(topic);
        }

        public SortedSet<int> Owned => new(Consumer.Assignment.Where(tp => tp.Topic == _topic).Select(tp => tp.Partition.Value));

        public void Poll()
        {
            var result = Consumer.Consume(TimeSpan.FromMilliseconds(50));
            if (result is null || result.IsPartitionEOF) return;
            int partition = result.Partition.Value;
            long offset = result.Offset.Value;
            string expected = Value(partition, offset);
            Check(Encoding.UTF8.GetString(result.Message.Value ?? []) == expected,
                $"{Name} read {result.TopicPartitionOffset} with value '{Encoding.UTF8.GetString(result.Message.Value ?? [])}', produced '{expected}'");
            Reads.Add((partition, offset));
        }

        public void Dispose() => Consumer.Dispose();
    }

    public static async Task RunAsync(string[] args)
    {
        string strategyName = args.Length == 1 ? args[0] : throw new CheckFailedException("usage: group range|cooperative-sticky");
        var strategy = strategyName switch
        {
            "range" => PartitionAssignmentStrategy.Range,
            "cooperative-sticky" => PartitionAssignmentStrategy.CooperativeSticky,
            _ => throw new CheckFailedException($"unknown strategy {strategyName}"),
        };
        bool cooperative = strategy == PartitionAssignmentStrategy.CooperativeSticky;
        var versions = new RequestVersions();
        string topic = UniqueTopic("dotnet-group"), group = UniqueTopic("dotnet-group-" + strategyName);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
        await WaitForLeadersAsync(admin, topic, Partitions);
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = Bootstrap, Acks = Acks.All, LingerMs = 2 }).Build();
        var all = Enumerable.Range(0, Partitions).ToHashSet();

        using var a = new Member("a", group, topic, strategy, versions);
        using var b = new Member("b", group, topic, strategy, versions);
        await PollUntilAsync([a, b], () => a.Owned.Count > 0 && b.Owned.Count > 0 && !a.Owned.Overlaps(b.Owned) && all.SetEquals(a.Owned.Union(b.Owned)),
            () => $"a owns {ShowSet(a.Owned)}, b owns {ShowSet(b.Owned)}; expected them to share {Partitions} partitions");
        await CheckDescribedAsync(admin, group, [a, b]);
        var aOwned = a.Owned;
        var bOwned = b.Owned;
        Log($"{strategyName}: a owns {ShowSet(aOwned)}, b owns {ShowSet(bOwned)} (DescribeConsumerGroups agrees, Stable)");

        // Offsets 0..99 of every partition, produced once both are members.
        Produce(producer, topic, 0, 100);
        await PollUntilAsync([a, b], () => a.Reads.Count + b.Reads.Count >= 100 * Partitions,
            () => $"a read {a.Reads.Count}, b {b.Reads.Count} of {100 * Partitions}");
        Check(a.Owned.SetEquals(aOwned) && b.Owned.SetEquals(bOwned), $"the assignment changed while reading: a {ShowSet(a.Owned)}, b {ShowSet(b.Owned)}; events a [{string.Join("; ", a.Events)}], b [{string.Join("; ", b.Events)}]");
        CheckReads(a, aOwned, 0, 100);
        CheckReads(b, bOwned, 0, 100);
        a.Consumer.Commit();
        b.Consumer.Commit();
        var committed = Committed(a.Consumer, topic, Partitions);
        Check(committed.Values.All(o => o == 100), $"after both committed, the group holds {Show(committed)}; expected 100 everywhere");
        Log("400 records produced after they joined: each read once, by its partition's owner, in order; both commits at 100");

        // 100..149 read by both; b commits only up to 120 of its partitions, then leaves.
        Produce(producer, topic, 100, 150);
        await PollUntilAsync([a, b], () => a.Reads.Count + b.Reads.Count >= 150 * Partitions,
            () => $"a read {a.Reads.Count}, b {b.Reads.Count} of {150 * Partitions}");
        CheckReads(a, aOwned, 0, 150);
        CheckReads(b, bOwned, 0, 150);
        a.Consumer.Commit();
        b.Consumer.Commit(bOwned.Select(p => new TopicPartitionOffset(topic, p, 120)));
        committed = Committed(b.Consumer, topic, Partitions);
        var expected = all.ToDictionary(p => p, p => bOwned.Contains(p) ? 120L : 150L);
        Check(ProduceConsumeCase.Same(committed, expected), $"committed {Show(committed)}; expected {Show(expected)} (b at 120, a at 150)");
        int aReadBefore = a.Reads.Count;
        var aEventsBefore = a.Events.Count;
        b.Consumer.Close();
        Log($"b committed {ShowSet(bOwned)} at 120 (having read to 150) and left");

        await PollUntilAsync([a], () => a.Owned.SetEquals(all) && a.Reads.Count - aReadBefore >= 30 * bOwned.Count,
            () => $"a owns {ShowSet(a.Owned)} and read {a.Reads.Count - aReadBefore} since b left; expected all {Partitions} and {30 * bOwned.Count} records");
        await PollForAsync([a], TimeSpan.FromMilliseconds(1000));
        var after = a.Reads.Skip(aReadBefore).ToList();
        foreach (int p in all)
        {
            var offsets = after.Where(r => r.Partition == p).Select(r => r.Offset).ToList();
            var wanted = bOwned.Contains(p) ? Enumerable.Range(120, 30).Select(o => (long)o).ToList() : [];
            Check(offsets.SequenceEqual(wanted), $"after b left, a read partition {p} at [{string.Join(",", offsets.Take(40))}]; expected " +
                (bOwned.Contains(p) ? "120..149 (b's committed offset onwards)" : "nothing (a had read and committed it all)"));
        }
        var rebalance = a.Events.Skip(aEventsBefore).ToList();
        if (cooperative)
            Check(!a.Revoked.Overlaps(aOwned), $"cooperative-sticky: a gave up its own partitions; its events: [{string.Join("; ", a.Events)}]");
        else
            Check(rebalance.Count >= 2 && rebalance[0] == "revoked " + ShowSet(aOwned) && rebalance[^1] == "assigned " + ShowSet(all),
                $"range (eager): a's events after b left: [{string.Join("; ", rebalance)}]; expected its partitions revoked, then all {Partitions} assigned");
        await CheckDescribedAsync(admin, group, [a]);
        a.Consumer.Commit();
        committed = Committed(a.Consumer, topic, Partitions);
        Check(committed.Values.All(o => o == 150), $"a committed {Show(committed)}; expected 150 everywhere");
        a.Consumer.Close();
        Log($"a took over {ShowSet(bOwned)} ({string.Join("; ", rebalance)}) and read exactly 120..149 of them, nothing of its own again; commits at 150");

        // The group is empty; its offsets stay, and a new member resumes at them.
        Produce(producer, topic, 150, 160);
        var listed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, all.Select(p => new TopicPartition(topic, p)).ToList())]);
        var groupOffsets = listed.Single().Partitions.ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
        Check(groupOffsets.Values.All(o => o == 150) && groupOffsets.Count == Partitions, $"ListConsumerGroupOffsets of the empty group: {Show(groupOffsets)}; expected 150 everywhere");
        var described = (await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions.Single();
        Check(described.State == ConsumerGroupState.Empty && described.Members.Count == 0, $"after both left the group is {described.State} with {described.Members.Count} members; expected Empty");
        using var c = new Member("c", group, topic, strategy, versions);
        await PollUntilAsync([c], () => c.Reads.Count >= 10 * Partitions, () => $"c read {c.Reads.Count} of {10 * Partitions}");
        await PollForAsync([c], TimeSpan.FromMilliseconds(500));
        CheckReads(c, all, 150, 160);
        var earlier = c.Reads.Where(r => r.Offset < 150).Take(5).ToList();
        Check(earlier.Count == 0, $"c read offsets before the group's committed 150: {string.Join(", ", earlier)}");
        c.Consumer.Commit();
        listed = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, all.Select(p => new TopicPartition(topic, p)).ToList())]);
        groupOffsets = listed.Single().Partitions.ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
        Check(groupOffsets.Values.All(o => o == 160), $"after c's commit ListConsumerGroupOffsets gives {Show(groupOffsets)}; expected 160");
        c.Consumer.Close();
        Log("the empty group kept 150 everywhere; a new member c resumed exactly there (150..159 of each partition, nothing before); requests: "
            + versions.Summary("FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch", "Fetch") + SkippedSummary);
    }

    private static string Value(int partition, long offset) => $"p{partition}-o{offset}";

    private static void Produce(IProducer<Null, byte[]> producer, string topic, int from, int to)
    {
        var reports = new System.Collections.Concurrent.ConcurrentQueue<DeliveryReport<Null, byte[]>>();
        for (int p = 0; p < Partitions; p++)
            for (int o = from; o < to; o++)
                producer.Produce(new TopicPartition(topic, p), new Message<Null, byte[]> { Value = Encoding.UTF8.GetBytes(Value(p, o)) }, reports.Enqueue);
        FlushAndAwaitReports(producer, () => reports.Count, Partitions * (to - from), $"offsets {from}..{to - 1}");
        foreach (var report in reports)
        {
            Check(!report.Error.IsError, $"produce to {report.TopicPartition}: {report.Error.Code}");
            string value = Encoding.UTF8.GetString(report.Message.Value);
            Check(value == Value(report.Partition.Value, report.Offset.Value), $"'{value}' was stored at {report.TopicPartitionOffset}; the topic was expected to hold offsets {from}..{to - 1} now");
        }
    }

    /// <summary>The member read exactly offsets from..to-1 of each of those partitions, in order, and nothing of any other.</summary>
    private static void CheckReads(Member member, IEnumerable<int> partitions, long from, long to)
    {
        var owned = partitions.ToHashSet();
        var foreign = member.Reads.Where(r => !owned.Contains(r.Partition)).Take(5).ToList();
        Check(foreign.Count == 0, $"{member.Name} read partitions it does not own: {string.Join(", ", foreign)}");
        foreach (int p in owned)
        {
            var offsets = member.Reads.Where(r => r.Partition == p && r.Offset >= from).Select(r => r.Offset).ToList();
            Check(offsets.SequenceEqual(Enumerable.Range((int)from, (int)(to - from)).Select(o => (long)o)),
                $"{member.Name} read partition {p} at [{string.Join(",", offsets.Take(30))}{(offsets.Count > 30 ? ",..." : "")}] ({offsets.Count}); expected {from}..{to - 1} once each");
        }
    }

    /// <summary>DescribeConsumerGroups shows the group Stable with exactly these members, each assigned what its consumer owns.</summary>
    private static async Task CheckDescribedAsync(IAdminClient admin, string group, Member[] members)
    {
        ConsumerGroupDescription? described = null;
        await WaitForAsync(async () =>
        {
            described = (await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions.Single();
            return described.State == ConsumerGroupState.Stable && described.Members.Count == members.Length;
        }, Deadline, () => $"group {group} is {described?.State} with {described?.Members.Count} members; expected Stable with {members.Length}");
        foreach (var member in members)
        {
            var entry = described!.Members.SingleOrDefault(m => m.ClientId == "dotnet-member-" + member.Name);
            Check(entry is not null, $"DescribeConsumerGroups lists [{string.Join(", ", described.Members.Select(m => m.ClientId))}], not {member.Name}");
            var assigned = new SortedSet<int>(entry!.Assignment.TopicPartitions.Select(tp => tp.Partition.Value));
            Check(assigned.SetEquals(member.Owned), $"DescribeConsumerGroups assigns {member.Name} {ShowSet(assigned)}, its consumer owns {ShowSet(member.Owned)}");
        }
    }

    private static async Task PollUntilAsync(Member[] members, Func<bool> done, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Check(clock.Elapsed < Deadline, $"not within {Deadline.TotalSeconds:0} s: {what()}");
            foreach (var member in members) member.Poll();
            await Task.Yield();
        }
    }

    private static async Task PollForAsync(Member[] members, TimeSpan time)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < time)
        {
            foreach (var member in members) member.Poll();
            await Task.Yield();
        }
    }

    private static string ShowSet(IEnumerable<int> partitions) => "[" + string.Join(",", partitions.Order()) + "]";
}
