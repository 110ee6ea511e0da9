using System.Collections.Immutable;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>
/// What a broker of a cluster answers for a partition it does not serve: NOT_LEADER_OR_FOLLOWER when the metadata
/// places it on another broker (a client refreshes its metadata and goes there), UNKNOWN_TOPIC_OR_PARTITION when the
/// metadata has no such partition at all.
/// </summary>
public sealed class NotServedErrorTests
{
    private const int OtherBroker = 2;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A topic whose every partition is led by (and lives only on) <see cref="OtherBroker"/>.</summary>
    private static TopicImage PlacedElsewhere(string name, int partitions) => new(name, KafkaUuid.NewRandom(Random.Shared),
        [.. Enumerable.Range(0, partitions).Select(p => new PartitionImage(p, OtherBroker, 0, 0, [OtherBroker], [OtherBroker]))],
        ImmutableDictionary<string, string>.Empty);

    [Fact]
    public async Task A_partition_in_the_image_that_lives_on_another_broker_is_not_leader_or_follower()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.PublishTopic(PlacedElsewhere("elsewhere", partitions: 2));
        broker.Metadata.CreateTopic("here");

        Assert.Null(broker.Replicas.GetPartition("elsewhere", 1));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, broker.Replicas.NotServedError("elsewhere", 0));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, broker.Replicas.NotServedError("elsewhere", 1));
        // No log was made for it: the data lives on the other broker.
        Assert.False(Directory.Exists(Path.Combine(broker.Config.LogDirs[0], "elsewhere-0")));

        // Through the handlers, as a client sees it.
        var produced = (await broker.ProduceAsync("elsewhere", 1, Batches.Create(1, Now)))!.Responses[0].PartitionResponses[0];
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, produced.ErrorCode);
        var fetched = (await broker.FetchAsync("elsewhere", 0, 0)).Responses[0].Partitions[0];
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, fetched.ErrorCode);
        var listed = (await broker.ListOffsetsAsync("elsewhere", 0, -1)).Topics[0].Partitions[0];
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, listed.ErrorCode);
    }

    [Theory]
    [InlineData("missing", 0)]   // no such topic
    [InlineData("elsewhere", 2)] // the topic has partitions 0 and 1 only
    [InlineData("elsewhere", -1)]
    public async Task A_partition_the_image_does_not_have_is_unknown(string topic, int partition)
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.PublishTopic(PlacedElsewhere("elsewhere", partitions: 2));

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, broker.Replicas.NotServedError(topic, partition));
        var produced = (await broker.ProduceAsync(topic, partition, Batches.Create(1, Now)))!.Responses[0].PartitionResponses[0];
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, produced.ErrorCode);
    }

    [Fact]
    public async Task A_deleted_topic_is_unknown_even_where_it_was_placed_elsewhere()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.PublishTopic(PlacedElsewhere("gone", partitions: 1));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, broker.Replicas.NotServedError("gone", 0));

        broker.Metadata.DeleteTopic("gone");

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, broker.Replicas.NotServedError("gone", 0));
    }
}
