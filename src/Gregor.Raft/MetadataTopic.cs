using Gregor.Protocol.Primitives;

namespace Gregor.Raft;

/// <summary>The metadata log's name on the wire, as KRaft names it: topic <c>__cluster_metadata</c>, partition 0, its fixed topic id.</summary>
public static class MetadataTopic
{
    public const string Name = "__cluster_metadata";

    public const int Partition = 0;

    /// <summary>Kafka's reserved id of the metadata topic (0, 1), "AAAAAAAAAAAAAAAAAAAAAQ" in text.</summary>
    public static readonly KafkaUuid Id = new(0, 1);
}
