using Gregor.Metadata.Controller;
using Gregor.Protocol;

namespace Gregor.Metadata.Tests;

public sealed class BrokerPlacementTests : IDisposable
{
    private readonly LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    private async Task<CreateTopicOutcome> CreateAsync(string name, int partitions, short replicationFactor = 1, IReadOnlyList<PartitionAssignment>? assignments = null) =>
        (await _c.Controller.CreateTopicsAsync([new NewTopic(name, partitions, replicationFactor, assignments ?? [], [])], validateOnly: false)).Single();

    [Fact]
    public async Task New_partitions_go_only_to_unfenced_brokers()
    {
        await _c.AddBrokerAsync(2);
        await _c.RegisterAsync(3); // registered, never unfenced
        await _c.AddBrokerAsync(4);
        await _c.HeartbeatAsync(4, wantFence: true);

        Assert.Equal(ErrorCode.None, (await CreateAsync("t", 12)).Error);
        var leaders = _c.Image.Topic("t")!.Partitions.Select(p => p.Leader).ToList();
        Assert.Equal([1, 2], leaders.Distinct().Order());
        Assert.Equal(6, leaders.Count(l => l == 1)); // round-robin: evenly
        Assert.All(_c.Image.Topic("t")!.Partitions, p => Assert.Equal([p.Leader], p.Isr.ToArray()));

        Assert.Equal(ErrorCode.None, (await _c.Controller.CreatePartitionsAsync([new PartitionIncrease("t", 16, null)], false)).Single().Error);
        Assert.DoesNotContain(_c.Image.Topic("t")!.Partitions, p => p.Leader is 3 or 4);
    }

    [Fact]
    public async Task Partitions_are_striped_over_racks()
    {
        await _c.AddBrokerAsync(2, rack: "a");
        await _c.AddBrokerAsync(3, rack: "a");
        await _c.AddBrokerAsync(4, rack: "b");
        await _c.AddBrokerAsync(5, rack: "b");
        Assert.True((await _c.Controller.UnregisterBrokerAsync(1)).IsOk); // the in-process broker has no rack

        Assert.Equal(ErrorCode.None, (await CreateAsync("t", 8)).Error);
        var leaders = _c.Image.Topic("t")!.Partitions.Select(p => p.Leader).ToList();
        Assert.All(leaders.GroupBy(l => l), g => Assert.Equal(2, g.Count()));
        string RackOf(int broker) => _c.Broker(broker).Rack!;
        for (int p = 1; p < leaders.Count; p++)
            Assert.NotEqual(RackOf(leaders[p - 1]), RackOf(leaders[p]));
    }

    [Fact]
    public void Replicas_of_a_partition_are_on_distinct_racks_and_leaders_spread_evenly()
    {
        (int, string?)[] brokers = [(1, "a"), (2, "a"), (3, "b"), (4, "b"), (5, "c"), (6, "c")];
        var placement = new StripedReplicaPlacement(brokers, new Random(3)).Place(30, 3);
        var rack = brokers.ToDictionary(b => b.Item1, b => b.Item2);
        Assert.All(placement, replicas =>
        {
            Assert.Equal(3, replicas.Distinct().Count());
            Assert.Equal(3, replicas.Select(r => rack[r]).Distinct().Count());
        });
        Assert.All(placement.GroupBy(r => r[0]), g => Assert.Equal(5, g.Count()));
        Assert.All(placement.SelectMany(r => r).GroupBy(b => b), g => Assert.Equal(15, g.Count()));
    }

    [Fact]
    public void More_replicas_than_racks_still_go_to_distinct_brokers()
    {
        var placement = new StripedReplicaPlacement([(1, "a"), (2, "a"), (3, "b")], new Random(1)).Place(10, 3);
        Assert.All(placement, replicas => Assert.Equal([1, 2, 3], replicas.Order()));
    }

    [Fact]
    public async Task A_replication_factor_above_one_places_that_many_distinct_active_brokers_with_all_of_them_in_sync()
    {
        await _c.AddBrokerAsync(2);
        await _c.AddBrokerAsync(3);
        await _c.RegisterAsync(4); // registered, never unfenced: no replica goes to it

        var created = await CreateAsync("t", 6, replicationFactor: 3);
        Assert.Equal((ErrorCode.None, (short)3, 6), (created.Error, created.ReplicationFactor, created.NumPartitions));
        foreach (var p in _c.Image.Topic("t")!.Partitions)
        {
            Assert.Equal([1, 2, 3], p.Replicas.Order());
            Assert.Equal(p.Replicas.ToArray(), p.Isr.ToArray());
            Assert.Equal(p.Replicas[0], p.Leader);
        }
        Assert.Equal(3, _c.Image.Topic("t")!.Partitions.Select(p => p.Leader).Distinct().Count()); // leaders spread

        Assert.Equal(ErrorCode.None, (await _c.Controller.CreatePartitionsAsync([new PartitionIncrease("t", 8, null)], false)).Single().Error);
        Assert.All(_c.Image.Topic("t")!.Partitions, p => Assert.Equal(3, p.Replicas.Length));

        var manual = await CreateAsync("m", -1, -1, [new PartitionAssignment(0, [3, 1]), new PartitionAssignment(1, [2, 3])]);
        Assert.Equal(ErrorCode.None, manual.Error);
        Assert.Equal([3, 1], _c.Image.Topic("m")!.Partitions[0].Replicas.ToArray());
        Assert.Equal(3, _c.Image.Topic("m")!.Partitions[0].Leader);
    }

    [Fact]
    public async Task More_replicas_than_unfenced_brokers_is_an_invalid_replication_factor_with_the_reason()
    {
        await _c.AddBrokerAsync(2);
        await _c.RegisterAsync(3); // fenced

        var tooMany = await CreateAsync("x", 1, replicationFactor: 4);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, tooMany.Error);
        Assert.Contains("The target replication factor of 4 cannot be reached because only 3 broker(s) are registered", tooMany.Message, StringComparison.Ordinal);

        var fenced = await CreateAsync("y", 1, replicationFactor: 3);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, fenced.Error);
        Assert.Contains("only 2 of the 3 registered broker(s) are unfenced", fenced.Message, StringComparison.Ordinal);
        Assert.Null(_c.Image.Topic("y"));
    }

    [Fact]
    public async Task Manual_assignments_need_an_unfenced_broker()
    {
        await _c.RegisterAsync(2);
        var fenced = await CreateAsync("m", -1, -1, [new PartitionAssignment(0, [2])]);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, fenced.Error);
        var unknown = await CreateAsync("u", -1, -1, [new PartitionAssignment(0, [7])]);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, unknown.Error);
        Assert.Equal(ErrorCode.None, (await CreateAsync("ok", -1, -1, [new PartitionAssignment(0, [1])])).Error);
    }

    [Fact]
    public async Task With_every_broker_fenced_nothing_can_be_placed()
    {
        await _c.RegisterAsync(2);
        Assert.True((await _c.Controller.UnregisterBrokerAsync(1)).IsOk);
        var outcome = await CreateAsync("t", 1);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, outcome.Error);
        Assert.Contains("fenced", outcome.Message, StringComparison.Ordinal);
    }
}
