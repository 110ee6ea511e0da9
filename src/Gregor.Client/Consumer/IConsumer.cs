namespace Gregor.Client;

/// <summary>
/// A Kafka consumer, shaped like Confluent.Kafka's. Partitions are assigned explicitly (Assign); group
/// subscription comes with group membership. Consume is meant for one thread at a time; the other methods may be
/// called from any thread. Positions, commits and stored offsets always name the next record to read.
/// </summary>
public interface IConsumer<TKey, TValue> : IDisposable
{
    /// <summary>The client.id.</summary>
    string Name { get; }

    /// <summary>The group member id; empty while the consumer is not a member of a group.</summary>
    string MemberId { get; }

    /// <summary>The partitions assigned now.</summary>
    List<TopicPartition> Assignment { get; }

    /// <summary>The next record or partition end, or null when none came within the timeout.</summary>
    /// <exception cref="ConsumeException">A partition failed or a record did not deserialize.</exception>
    ConsumeResult<TKey, TValue>? Consume(int millisecondsTimeout);

    /// <inheritdoc cref="Consume(int)"/>
    ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout);

    /// <summary>Waits for the next record or partition end; cancelling throws <see cref="OperationCanceledException"/>.</summary>
    ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default);

    /// <summary>Replaces the assignment with this partition, read from its committed offset (or auto.offset.reset).</summary>
    void Assign(TopicPartition partition);

    /// <summary>Replaces the assignment with this partition, read from the given offset (a number, Beginning, End, Stored or Unset).</summary>
    void Assign(TopicPartitionOffset partition);

    void Assign(IEnumerable<TopicPartition> partitions);

    void Assign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Adds partitions to the assignment; a partition already assigned is an error (Local_Conflict).</summary>
    void IncrementalAssign(IEnumerable<TopicPartition> partitions);

    void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Removes partitions from the assignment; one not assigned is an error (Local_State).</summary>
    void IncrementalUnassign(IEnumerable<TopicPartition> partitions);

    /// <summary>Removes every partition.</summary>
    void Unassign();

    /// <summary>Continues an assigned partition at another offset (a number or Beginning/End/Stored); buffered records are dropped.</summary>
    void Seek(TopicPartitionOffset tpo);

    /// <summary>The offset of the next record Consume will return from the partition; Offset.Unset while it is being looked up.</summary>
    Offset Position(TopicPartition partition);

    /// <summary>Stops fetching and returning records of these partitions until Resume.</summary>
    void Pause(IEnumerable<TopicPartition> partitions);

    void Resume(IEnumerable<TopicPartition> partitions);

    /// <summary>The group's committed offsets of the assigned partitions (Offset.Unset where there is none).</summary>
    List<TopicPartitionOffset> Committed(TimeSpan timeout);

    List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout);

    /// <summary>Committed offsets with the leader epoch and metadata stored beside them.</summary>
    List<TopicPartitionOffsetMetadata> CommittedWithMetadata(IEnumerable<TopicPartition> partitions, TimeSpan timeout);

    /// <summary>Commits the stored offsets of the assigned partitions (see StoreOffset and enable.auto.offset.store) and returns them.</summary>
    /// <exception cref="KafkaException">Local_NoOffset when nothing is stored.</exception>
    /// <exception cref="TopicPartitionOffsetException">Some partition's commit failed.</exception>
    List<TopicPartitionOffset> Commit();

    /// <summary>Commits these offsets (each the next record to read).</summary>
    void Commit(IEnumerable<TopicPartitionOffset> offsets);

    /// <summary>Commits the offset after this record.</summary>
    void Commit(ConsumeResult<TKey, TValue> result);

    /// <summary>Commits offsets with a metadata string each.</summary>
    void Commit(IEnumerable<TopicPartitionOffsetMetadata> offsets);

    /// <summary>Stores the offset after this record for the next Commit() or auto-commit (only with enable.auto.offset.store=false).</summary>
    void StoreOffset(ConsumeResult<TKey, TValue> result);

    /// <summary>Stores this offset (the next record to read) for the next Commit() or auto-commit.</summary>
    void StoreOffset(TopicPartitionOffset offset);

    /// <summary>Asks the partition's leader for its earliest and latest offset.</summary>
    WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout);

    /// <summary>The watermarks the last fetch of an assigned partition reported, without asking; Offset.Unset where unknown.</summary>
    WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition);

    /// <summary>For each partition, the earliest offset whose timestamp is at or after the given one; Offset.End when there is none.</summary>
    List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout);

    /// <summary>Commits stored offsets when auto-commit is on, stops fetching and releases the partitions. Dispose afterwards.</summary>
    void Close();
}
