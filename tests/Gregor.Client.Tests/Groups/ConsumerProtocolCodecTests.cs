using Gregor.Client.Groups;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Client.Tests.Groups;

/// <summary>The consumer protocol bytes as they travel in JoinGroup and SyncGroup: version first, then the body.</summary>
public sealed class ConsumerProtocolCodecTests
{
    [Fact]
    public void Subscription_is_written_at_version_3_and_read_back()
    {
        var subscription = new ConsumerProtocolSubscription
        {
            Topics = ["t"],
            UserData = [0, 0, 0, 4],
            OwnedPartitions = ConsumerProtocolCodec.ToOwned([new TopicPartition("t", 1), new TopicPartition("t", 0)]),
            GenerationId = 4,
        };
        byte[] bytes = ConsumerProtocolCodec.Write(subscription);
        Assert.Equal([0, 3], bytes[..2]);
        var member = ConsumerProtocolCodec.ToMember("m", "i", ConsumerProtocolCodec.ReadSubscription(bytes));
        Assert.Equal(["t"], member.Topics);
        Assert.Equal("t-0 t-1", AssignorVectorTests.Show(member.OwnedPartitions));
        Assert.Equal(4, member.GenerationId);
        Assert.Equal("i", member.GroupInstanceId);
    }

    [Fact]
    public void A_librdkafka_v1_subscription_is_read_with_its_owned_partitions_and_no_generation()
    {
        // Version 1, topics ["t"], empty user data (librdkafka never sends null), owned [ "t" [2] ].
        byte[] bytes = [0, 1, 0, 0, 0, 1, 0, 1, (byte)'t', 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, (byte)'t', 0, 0, 0, 1, 0, 0, 0, 2];
        var member = ConsumerProtocolCodec.ToMember("m", null, ConsumerProtocolCodec.ReadSubscription(bytes));
        Assert.Equal("t-2", AssignorVectorTests.Show(member.OwnedPartitions));
        Assert.Equal(-1, member.GenerationId);
    }

    [Fact]
    public void A_newer_version_is_read_as_version_3_and_its_extra_bytes_ignored()
    {
        var body = new ConsumerProtocolSubscription { Topics = ["t"], GenerationId = 2 }.Serialize(3);
        byte[] bytes = [0, 9, .. body, 1, 2, 3];
        Assert.Equal(2, ConsumerProtocolCodec.ReadSubscription(bytes).GenerationId);
    }

    [Fact]
    public void Bad_bytes_are_malformed_not_a_crash()
    {
        Assert.Throws<MalformedMessageException>(() => ConsumerProtocolCodec.ReadSubscription(new byte[] { 0xFF, 0xFF, 0, 0, 0, 0 }));
        Assert.Throws<MalformedMessageException>(() => ConsumerProtocolCodec.ReadSubscription(new byte[] { 0, 0, 0x7F, 0xFF, 0xFF, 0xFF }));
        Assert.Throws<MalformedMessageException>(() => ConsumerProtocolCodec.ReadAssignment(new byte[] { 0 }));
    }

    [Fact]
    public void Assignment_groups_partitions_by_topic_and_empty_bytes_are_an_empty_assignment()
    {
        byte[] bytes = ConsumerProtocolCodec.Write(ConsumerProtocolCodec.ToAssignment([new TopicPartition("b", 1), new TopicPartition("a", 0), new TopicPartition("b", 0)]));
        var read = ConsumerProtocolCodec.ReadAssignment(bytes);
        Assert.Equal(["a", "b"], read.AssignedPartitions.Select(t => t.Topic));
        Assert.Equal("a-0 b-0 b-1", AssignorVectorTests.Show(ConsumerProtocolCodec.PartitionsOf(read)));
        Assert.Empty(ConsumerProtocolCodec.PartitionsOf(ConsumerProtocolCodec.ReadAssignment(ReadOnlyMemory<byte>.Empty)));
    }
}
