namespace Gregor.Raft;

/// <summary>
/// The replicated log as the Raft core needs it: append, flush (fsync), truncate, epoch lookups and
/// snapshots. Appends are not durable until <see cref="Flush"/>; the core flushes before it acknowledges
/// an offset to the leader or counts its own log toward the high watermark.
/// </summary>
public interface IRaftLog
{
    /// <summary>The first offset held as batches; below it is only the latest snapshot.</summary>
    long StartOffset { get; }

    long EndOffset { get; }

    /// <summary>The end of what is durable: at most <see cref="EndOffset"/>.</summary>
    long FlushedEndOffset { get; }

    /// <summary>The epoch of the last batch, or of the snapshot the log starts from, or 0 for an empty log.</summary>
    int LastEpoch { get; }

    /// <summary>The newest snapshot, if any. Its end offset is the log's start offset.</summary>
    SnapshotId? LatestSnapshot { get; }

    /// <summary>Appends a batch whose base offset is <see cref="EndOffset"/> and whose epoch is at least <see cref="LastEpoch"/>.</summary>
    void Append(RaftBatch batch);

    /// <summary>Makes everything appended durable.</summary>
    void Flush();

    /// <summary>Removes every batch from <paramref name="offset"/> on (a batch boundary at or above the start offset).</summary>
    void TruncateTo(long offset);

    /// <summary>
    /// The largest epoch in the log not above <paramref name="epoch"/> and the offset where it ends (the start
    /// of the next epoch, or the end of the log); the snapshot's position when the log holds no such epoch but
    /// the snapshot does; (start offset, −1) when neither knows it.
    /// </summary>
    OffsetAndEpoch EndOffsetForEpoch(int epoch);

    /// <summary>Batches from <paramref name="offset"/> (a batch boundary) up to about <paramref name="maxBytes"/>, at least one if any.</summary>
    IReadOnlyList<RaftBatch> Read(long offset, int maxBytes);

    /// <summary>The size of the snapshot <paramref name="id"/>, or −1 when it is not held.</summary>
    long SnapshotSize(SnapshotId id);

    /// <summary>Reads up to <paramref name="maxBytes"/> of snapshot <paramref name="id"/> from <paramref name="position"/>.</summary>
    ReadOnlyMemory<byte> ReadSnapshot(SnapshotId id, long position, int maxBytes);

    /// <summary>Stores (durably) a snapshot of committed state made on this node and drops the batches it covers.</summary>
    void CreateSnapshot(SnapshotId id, ReadOnlyMemory<byte> content);

    /// <summary>Replaces the whole log by a snapshot fetched from the leader: afterwards start and end offset are its end offset.</summary>
    void InstallSnapshot(SnapshotId id, ReadOnlyMemory<byte> content);
}
