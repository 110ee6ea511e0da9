namespace Gregor.Client;

/// <summary>
/// A Kafka consumer, shaped like Confluent.Kafka's. Either it subscribes (Subscribe: the group assigns partitions,
/// rebalance handlers run inside Consume) or the application assigns partitions itself (Assign); not both at
/// once. Consume is meant for one thread at a time; the other methods may be called from any thread. Positions,
/// commits and stored offsets always name the next record to read.
/// </summary>
public interface IConsumer<TKey, TValue> : IDisposable
{
    /// <summary>The client.id.</summary>
    string Name { get; }

    /// <summary>The group member id; empty while the consumer is not a member of a group.</summary>
    string MemberId { get; }

    /// <summary>The partitions assigned now.</summary>
    List<TopicPartition> Assignment { get; }

    /// <summary>The topics (and '^' patterns) subscribed to, as given; empty when not subscribed.</summary>
    List<string> Subscription { get; }

    /// <summary>Subscribes to one topic (or, starting with '^', the topics a regular expression matches), replacing any earlier subscription.</summary>
    /// <exception cref="KafkaException">INVALID_GROUP_ID: there is no group.id.</exception>
    /// <exception cref="InvalidOperationException">Partitions are assigned with Assign.</exception>
    void Subscribe(string topic);

    /// <summary>
    /// Joins the consumer's group for these topics, replacing any earlier subscription. An entry starting with '^'
    /// is a regular expression matched anywhere in a topic's name (as librdkafka does: anchor it with '$' for whole
    /// names); topics created later that match join the subscription at the next metadata refresh
    /// (metadata.max.age.ms). Partitions arrive through rebalances, carried out inside Consume.
    /// </summary>
    void Subscribe(IEnumerable<string> topics);

    /// <summary>Drops the subscription: the partitions are revoked (handler, auto-commit) and the member leaves the group.</summary>
    void Unsubscribe();

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

    /// <summary>
    /// <see cref="Commit()"/> without blocking a thread while the coordinator answers (Java's commitAsync); the
    /// task fails as Commit would throw. Commits go out in the order they are asked for.
    /// </summary>
    Task<List<TopicPartitionOffset>> CommitAsync(CancellationToken cancellationToken = default);

    /// <summary><see cref="Commit(IEnumerable{TopicPartitionOffset})"/> without blocking a thread while the coordinator answers.</summary>
    Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default);

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

    /// <summary>
    /// Closes the consumer: a group member revokes its partitions (revoked handler, then a commit of the stored
    /// offsets with enable.auto.commit) and a dynamic member leaves the group at once; an assign-mode consumer
    /// commits stored offsets with enable.auto.commit. Then fetching stops. Dispose afterwards.
    /// </summary>
    void Close();
}
