namespace Gregor.Metadata.Controller;

/// <summary>
/// Whether brokers can host more partition replicas (descriptors, memory, disk). The controller asks before it
/// commits a topic's CreateTopics or CreatePartitions records, so a topic that does not fit is refused whole, with
/// POLICY_VIOLATION and a message naming the limit, rather than created and then left unserved.
/// </summary>
public interface IReplicaCapacity
{
    /// <summary>
    /// Null when every broker can host its new replicas on top of what <paramref name="image"/> already places on it;
    /// else why not, naming the limit.
    /// </summary>
    string? Refusal(MetadataImage image, IReadOnlyDictionary<int, int> newReplicasByBroker);
}
