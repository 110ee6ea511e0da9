using System.Buffers.Binary;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Client.Admin;

/// <summary>
/// Reads the partitions out of a consumer-protocol member assignment: an int16 version, then the
/// body in that version (the generated <see cref="ConsumerProtocolAssignment"/>). A version newer
/// than this client knows is read as the newest it knows, its extra trailing fields ignored, which
/// is how the format is meant to evolve.
/// </summary>
internal static class ConsumerAssignmentReader
{
    /// <summary>The assigned partitions; none for empty bytes (a member not yet assigned).</summary>
    /// <exception cref="MalformedMessageException">The bytes are not a consumer assignment.</exception>
    public static List<TopicPartition> Read(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty) return [];
        if (bytes.Length < sizeof(short)) throw new MalformedMessageException($"an assignment of {bytes.Length} byte(s) has no version");
        short version = BinaryPrimitives.ReadInt16BigEndian(bytes.Span);
        if (version < 0) throw new MalformedMessageException($"an assignment with version {version}");
        var body = bytes[sizeof(short)..];
        ConsumerProtocolAssignment assignment;
        if (version > ConsumerProtocolAssignment.HighestVersion)
        {
            var reader = new ProtocolReader(body);
            assignment = ConsumerProtocolAssignment.Read(ref reader, ConsumerProtocolAssignment.HighestVersion);
        }
        else
        {
            assignment = ConsumerProtocolAssignment.Deserialize(body, version);
        }
        var partitions = new List<TopicPartition>();
        foreach (var topic in assignment.AssignedPartitions)
            foreach (int p in topic.Partitions)
                partitions.Add(new TopicPartition(topic.Topic, p));
        return partitions;
    }
}
