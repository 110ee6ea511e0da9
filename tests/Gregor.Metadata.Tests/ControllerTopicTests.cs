using Gregor.Metadata.Controller;
using Gregor.Protocol;

namespace Gregor.Metadata.Tests;

public sealed class ControllerTopicTests : IDisposable
{
    private readonly ControllerFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Created_topic_is_in_the_image_with_partitions_led_by_this_node()
    {
        var outcome = await _f.CreateAsync("orders", partitions: 4, configs: ("retention.ms", "1000"));
        Assert.Equal(ErrorCode.None, outcome.Error);
        var topic = _f.Image.Topic("orders")!;
        Assert.Equal(outcome.TopicId, topic.Id);
        Assert.Same(topic, _f.Image.Topic(topic.Id));
        Assert.Equal(4, topic.Partitions.Length);
        Assert.All(topic.Partitions, p =>
        {
            Assert.Equal(1, p.Leader);
            Assert.Equal(new[] { 1 }, p.Replicas.ToArray());
            Assert.Equal(new[] { 1 }, p.Isr.ToArray());
        });
        Assert.Equal("1000", topic.Configs["retention.ms"]);
    }

    [Fact]
    public async Task Minus_one_takes_the_broker_defaults()
    {
        var outcome = await _f.CreateAsync("defaults", partitions: -1, replicationFactor: -1);
        Assert.Equal((ErrorCode.None, 3, (short)1), (outcome.Error, outcome.NumPartitions, outcome.ReplicationFactor));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("ünïcode")]
    public async Task Illegal_names_are_invalid_topic(string name)
    {
        Assert.Equal(ErrorCode.InvalidTopicException, (await _f.CreateAsync(name)).Error);
    }

    [Fact]
    public async Task Name_length_limit_is_249()
    {
        Assert.Equal(ErrorCode.None, (await _f.CreateAsync(new string('a', 249))).Error);
        Assert.Equal(ErrorCode.InvalidTopicException, (await _f.CreateAsync(new string('b', 250))).Error);
    }

    [Fact]
    public async Task Names_colliding_after_dot_to_underscore_are_rejected()
    {
        Assert.Equal(ErrorCode.None, (await _f.CreateAsync("a.b")).Error);
        var clash = await _f.CreateAsync("a_b");
        Assert.Equal(ErrorCode.InvalidTopicException, clash.Error);
        Assert.Contains("collides", clash.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.TopicAlreadyExists, (await _f.CreateAsync("a.b")).Error);
    }

    [Fact]
    public async Task Counts_are_checked()
    {
        Assert.Equal(ErrorCode.InvalidPartitions, (await _f.CreateAsync("p0", partitions: 0)).Error);
        Assert.Equal(ErrorCode.InvalidPartitions, (await _f.CreateAsync("pm2", partitions: -2)).Error);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, (await _f.CreateAsync("r0", replicationFactor: 0)).Error);
        var tooMany = await _f.CreateAsync("r2", replicationFactor: 2);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, tooMany.Error);
        Assert.Contains("only 1 broker(s) are registered", tooMany.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.PolicyViolation, (await _f.CreateAsync("huge", partitions: 1_000_000)).Error);
        Assert.Empty(_f.Image.TopicsByName);
    }

    [Fact]
    public async Task Configs_are_validated()
    {
        var unknown = await _f.CreateAsync("c1", configs: ("no.such.config", "1"));
        Assert.Equal(ErrorCode.InvalidConfig, unknown.Error);
        var bad = await _f.CreateAsync("c2", configs: ("retention.ms", "soon"));
        Assert.Equal(ErrorCode.InvalidConfig, bad.Error);
        Assert.Contains("retention.ms", bad.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidConfig, (await _f.CreateAsync("c3", configs: ("cleanup.policy", "shred"))).Error);
        Assert.Equal(ErrorCode.InvalidConfig, (await _f.CreateAsync("c4", configs: ("segment.bytes", "100"))).Error);
        // Each alone is fine; together the maximum lag is below the minimum.
        Assert.Equal(ErrorCode.InvalidConfig, (await _f.CreateAsync("c5", configs: [("min.compaction.lag.ms", "100"), ("max.compaction.lag.ms", "10")])).Error);
        Assert.Equal(ErrorCode.None, (await _f.CreateAsync("c6", configs: [("cleanup.policy", "compact,delete"), ("compression.type", "zstd")])).Error);
    }

    [Fact]
    public async Task Validate_only_writes_nothing()
    {
        long end = _f.Image.Offset;
        var outcome = (await _f.Controller.CreateTopicsAsync([new NewTopic("dry", 2, 1, [], [])], validateOnly: true)).Single();
        Assert.Equal((ErrorCode.None, 2), (outcome.Error, outcome.NumPartitions));
        Assert.Null(_f.Image.Topic("dry"));
        Assert.Equal(end, _f.Image.Offset);
    }

    [Fact]
    public async Task Manual_assignments_are_checked()
    {
        static NewTopic Manual(string name, params int[][] brokers) =>
            new(name, -1, -1, brokers.Select((b, i) => new PartitionAssignment(i, b)).ToList(), []);
        var ok = await _f.Controller.CreateTopicsAsync([Manual("m1", [1], [1])], false);
        Assert.Equal((ErrorCode.None, 2), (ok[0].Error, ok[0].NumPartitions));
        var r = await _f.Controller.CreateTopicsAsync([Manual("m2", [7]), Manual("m3", [1, 1]), Manual("m4", new[] { Array.Empty<int>() })], false);
        Assert.All(r, o => Assert.Equal(ErrorCode.InvalidReplicaAssignment, o.Error));
        var gap = await _f.Controller.CreateTopicsAsync([new NewTopic("m5", -1, -1, [new PartitionAssignment(1, [1])], [])], false);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, gap[0].Error);
        var withCount = await _f.Controller.CreateTopicsAsync([new NewTopic("m6", 1, -1, [new PartitionAssignment(0, [1])], [])], false);
        Assert.Equal(ErrorCode.InvalidRequest, withCount[0].Error);
    }

    [Fact]
    public async Task Delete_by_name_and_by_id()
    {
        var a = await _f.CreateAsync("a");
        var b = await _f.CreateAsync("b");
        var result = await _f.Controller.DeleteTopicsAsync([new TopicReference("a", default), new TopicReference(null, b.TopicId),
            new TopicReference("missing", default), new TopicReference(null, a.TopicId)]);
        Assert.Equal([ErrorCode.None, ErrorCode.None, ErrorCode.UnknownTopicOrPartition, ErrorCode.UnknownTopicId], result.Select(o => o.Error));
        Assert.Equal("b", result[1].Name);
        Assert.Empty(_f.Image.TopicsByName);
        Assert.Empty(_f.Image.TopicsById);
        Assert.Equal(ErrorCode.None, (await _f.CreateAsync("a")).Error);
    }

    [Fact]
    public async Task Create_partitions_only_increases()
    {
        await _f.CreateAsync("grow", partitions: 2);
        var r = await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("grow", 1, null)], false);
        Assert.Equal(ErrorCode.InvalidPartitions, r[0].Error);
        r = await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("grow", 2, null)], false);
        Assert.Equal(ErrorCode.InvalidPartitions, r[0].Error);
        r = await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("grow", 5, null)], validateOnly: true);
        Assert.Equal(ErrorCode.None, r[0].Error);
        Assert.Equal(2, _f.Image.Topic("grow")!.Partitions.Length);
        r = await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("grow", 5, null), new PartitionIncrease("nope", 3, null)], false);
        Assert.Equal([ErrorCode.None, ErrorCode.UnknownTopicOrPartition], r.Select(o => o.Error));
        Assert.Equal([0, 1, 2, 3, 4], _f.Image.Topic("grow")!.Partitions.Select(p => p.Partition));
        r = await _f.Controller.CreatePartitionsAsync([new PartitionIncrease("grow", 7, [[1]])], false);
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, r[0].Error);
    }

    [Fact]
    public async Task Published_images_reach_subscribers_in_order()
    {
        var seen = new List<(long, long)>();
        _f.Publisher.Subscribe((before, after) => seen.Add((before.Offset, after.Offset)));
        await _f.CreateAsync("x");
        await _f.CreateAsync("y");
        Assert.Equal(3, seen.Count); // catch-up on subscribe, then one per operation
        Assert.Equal(-1, seen[0].Item1);
        Assert.True(seen[1].Item2 > seen[1].Item1 && seen[2].Item1 == seen[1].Item2 && seen[2].Item2 > seen[2].Item1);
    }
}
