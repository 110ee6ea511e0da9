using Gregor.Client.Admin;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Client.Tests.Admin;

public sealed class ConsumerAssignmentReaderTests
{
    private static byte[] Versioned(short version, byte[] body) => [(byte)(version >> 8), (byte)version, .. body];

    private static readonly ConsumerProtocolAssignment TwoTopics = new()
    {
        AssignedPartitions =
        [
            new() { Topic = "a", Partitions = [0, 2] },
            new() { Topic = "b", Partitions = [1] },
        ],
        UserData = [1, 2, 3],
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Every_known_version_gives_the_assigned_partitions(short version)
    {
        var partitions = ConsumerAssignmentReader.Read(Versioned(version, TwoTopics.Serialize(version)));
        Assert.Equal([new TopicPartition("a", 0), new TopicPartition("a", 2), new TopicPartition("b", 1)], partitions);
    }

    [Fact]
    public void A_newer_version_is_read_as_the_newest_known_and_its_extra_fields_ignored()
    {
        byte[] body = [.. TwoTopics.Serialize(ConsumerProtocolAssignment.HighestVersion), 0, 0, 0, 42]; // a field a later version might add
        var partitions = ConsumerAssignmentReader.Read(Versioned((short)(ConsumerProtocolAssignment.HighestVersion + 1), body));
        Assert.Equal(3, partitions.Count);
    }

    [Fact]
    public void No_bytes_is_no_assignment_and_bad_bytes_are_refused()
    {
        Assert.Empty(ConsumerAssignmentReader.Read(ReadOnlyMemory<byte>.Empty));
        Assert.Throws<MalformedMessageException>(() => ConsumerAssignmentReader.Read(new byte[] { 0 }));
        Assert.Throws<MalformedMessageException>(() => ConsumerAssignmentReader.Read(Versioned(-1, TwoTopics.Serialize(0))));
        byte[] whole = Versioned(0, TwoTopics.Serialize(0));
        Assert.Throws<MalformedMessageException>(() => ConsumerAssignmentReader.Read(whole[..^5])); // truncated
        // An array count far larger than the bytes that follow is refused before anything is allocated for it.
        Assert.Throws<MalformedMessageException>(() => ConsumerAssignmentReader.Read(new byte[] { 0, 0, 0x7F, 0xFF, 0xFF, 0xFF }));
        Assert.Throws<MalformedMessageException>(() => ConsumerAssignmentReader.Read(Versioned(0, [.. TwoTopics.Serialize(0), 9]))); // trailing byte
    }
}
