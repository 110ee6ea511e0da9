using Gregor.Protocol.Messages;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>
/// The consumer protocol's subscription and assignment bodies, laid out byte by byte as the format
/// defines them (the int16 version that precedes them on the wire is not part of the body).
/// </summary>
public sealed class ConsumerProtocolTests
{
    [Fact]
    public void Subscription_v0_is_topics_then_nullable_user_data()
    {
        var subscription = new ConsumerProtocolSubscription { Topics = ["ab"] };
        byte[] expected = [0, 0, 0, 1, 0, 2, (byte)'a', (byte)'b', 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Equal(expected, subscription.Serialize(0));
        var read = ConsumerProtocolSubscription.Deserialize(expected, 0);
        Assert.Equal(["ab"], read.Topics);
        Assert.Null(read.UserData);
    }

    [Fact]
    public void Subscription_v3_adds_owned_partitions_generation_and_rack()
    {
        var subscription = new ConsumerProtocolSubscription
        {
            Topics = ["t"],
            OwnedPartitions = [new() { Topic = "t", Partitions = [2] }],
            GenerationId = 7,
            RackId = "r",
        };
        byte[] expected =
        [
            0, 0, 0, 1, 0, 1, (byte)'t', // topics
            0xFF, 0xFF, 0xFF, 0xFF, // user data: null
            0, 0, 0, 1, 0, 1, (byte)'t', 0, 0, 0, 1, 0, 0, 0, 2, // owned partitions
            0, 0, 0, 7, // generation
            0, 1, (byte)'r', // rack
        ];
        Assert.Equal(expected, subscription.Serialize(3));
        var read = ConsumerProtocolSubscription.Deserialize(expected, 3);
        Assert.Equal(7, read.GenerationId);
        Assert.Equal("r", read.RackId);
        Assert.Equal([2], Assert.Single(read.OwnedPartitions).Partitions);
        // Written at v0 the newer fields are left out; read back they take their defaults.
        var old = ConsumerProtocolSubscription.Deserialize(subscription.Serialize(0), 0);
        Assert.Equal(-1, old.GenerationId);
        Assert.Empty(old.OwnedPartitions);
    }

    [Fact]
    public void Assignment_is_topic_partitions_then_user_data()
    {
        var assignment = new ConsumerProtocolAssignment
        {
            AssignedPartitions = [new() { Topic = "t", Partitions = [0, 3] }],
            UserData = [9],
        };
        byte[] expected = [0, 0, 0, 1, 0, 1, (byte)'t', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 9];
        Assert.Equal(expected, assignment.Serialize(1));
        var read = ConsumerProtocolAssignment.Deserialize(expected, 1);
        Assert.Equal([0, 3], Assert.Single(read.AssignedPartitions).Partitions);
        Assert.Equal([9], read.UserData);
    }
}
