using Gregor.Protocol;
using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>What the producer-state check of a leader's batch decided.</summary>
internal enum ProducerCheck
{
    /// <summary>Append it (not idempotent, in sequence, or from a producer not known here).</summary>
    Append,

    /// <summary>A retry of one of the producer's last batches: write nothing, answer its offsets.</summary>
    Duplicate,

    /// <summary>Refused; the error says why.</summary>
    Refused,
}

/// <summary>
/// The idempotent producers of one partition (Kafka's ProducerStateManager): for each producer id its epoch and
/// last batches, kept up to date from batch headers as the log appends (as leader or follower), snapshotted in
/// <c>&lt;offset&gt;.snapshot</c> files and rebuilt from the latest snapshot plus the log after it. Used only under
/// its log's writer lock, so it has no lock of its own.
/// </summary>
public sealed class ProducerStateManager
{
    private readonly Dictionary<long, ProducerStateEntry> _producers = [];
    private readonly SortedSet<long> _snapshots = [];
    // Entries removed by expiry or truncation, reused for the next new producers instead of allocating.
    private readonly Stack<ProducerStateEntry> _spare = new();
    private const int MaxSpare = 64;

    internal ProducerStateManager(string directory, ProducerStateConfig config)
    {
        Directory = directory;
        Config = config;
        foreach (long offset in ProducerSnapshotFile.List(directory))
            _snapshots.Add(offset);
    }

    public string Directory { get; }

    public ProducerStateConfig Config { get; }

    /// <summary>The offset up to which the log has been folded into this state.</summary>
    public long MapEndOffset { get; private set; }

    public int Count => _producers.Count;

    /// <summary>Snapshot offsets on disk, ascending.</summary>
    public IReadOnlyCollection<long> SnapshotOffsets => _snapshots;

    /// <summary>What went wrong reading snapshots (corrupt files that were deleted), for the log's recovery report.</summary>
    public List<string> Problems { get; } = [];

    public bool TryGet(long producerId, out ProducerStateEntry entry) => _producers.TryGetValue(producerId, out entry!);

    /// <summary>Every producer entry; for tests and DescribeProducers. Only under the log's lock.</summary>
    public IReadOnlyCollection<ProducerStateEntry> Entries => _producers.Values;

    /// <summary>
    /// Kafka's checks of a client's batch against its producer's state. A batch equal to one of the producer's
    /// last five in the same epoch is a duplicate (<paramref name="duplicate"/> holds the original). Otherwise: an
    /// older epoch is INVALID_PRODUCER_EPOCH; a newer epoch must start at sequence 0 and the same epoch must follow
    /// the last sequence (wrapping after int.MaxValue), else OUT_OF_ORDER_SEQUENCE_NUMBER. A producer not known
    /// here may start at any sequence (KIP-360), unless the broker's producer entries are at their cap.
    /// </summary>
    internal ProducerCheck CheckLeaderBatch(long producerId, short epoch, int firstSequence, int lastSequence,
        out ProducerBatchMetadata duplicate, out ErrorCode error, out string? message)
    {
        duplicate = default;
        error = ErrorCode.None;
        message = null;
        if (!_producers.TryGetValue(producerId, out ProducerStateEntry? entry))
        {
            if (Config.HasRoomForNewProducer)
                return ProducerCheck.Append;
            // THROTTLING_QUOTA_EXCEEDED is Kafka's error for a client past a broker's quota (KIP-599/936): the Java
            // client retries it until delivery.timeout.ms, librdkafka fails the message with that name.
            error = ErrorCode.ThrottlingQuotaExceeded;
            message = $"This broker tracks {Config.Entries} producer states, its limit {ProducerStateConfig.MaxEntriesName}={Config.MaxEntries}; " +
                $"producer {producerId} is new to partition {Path.GetFileName(Directory)} and cannot be taken until others expire.";
            return ProducerCheck.Refused;
        }
        if (entry.TryFindDuplicate(epoch, firstSequence, lastSequence, out duplicate))
            return ProducerCheck.Duplicate;
        if (epoch < entry.Epoch)
        {
            error = ErrorCode.InvalidProducerEpoch;
            message = $"Producer {producerId} epoch {epoch} is older than its last epoch {entry.Epoch} here.";
            return ProducerCheck.Refused;
        }
        if (epoch != entry.Epoch)
        {
            if (firstSequence != 0 && entry.Epoch != RecordBatchHeader.NoProducerEpoch)
            {
                error = ErrorCode.OutOfOrderSequenceNumber;
                message = $"Producer {producerId} starts its new epoch {epoch} at sequence {firstSequence}, not 0.";
                return ProducerCheck.Refused;
            }
            return ProducerCheck.Append;
        }
        int last = entry.LastSequence;
        if (!ProducerSequences.InSequence(last, firstSequence))
        {
            error = ErrorCode.OutOfOrderSequenceNumber;
            message = $"Producer {producerId} epoch {epoch} sent sequence {firstSequence}; the next expected is {ProducerSequences.Increment(last, 1)}.";
            return ProducerCheck.Refused;
        }
        return ProducerCheck.Append;
    }

    /// <summary>
    /// Folds the batches of an appended blob (offsets assigned) into the state, from their headers only. Control
    /// batches (transaction markers) are left to the transactions work: they carry no data sequence.
    /// </summary>
    internal void OnAppended(ReadOnlySpan<byte> records)
    {
        for (int position = 0; position < records.Length;)
        {
            ReadOnlySpan<byte> batch = records[position..];
            Record(batch);
            position += RecordBatchHeader.TotalSize(batch);
        }
    }

    /// <summary>Folds one batch, given at least its 61-byte header, and moves the map end past it.</summary>
    internal void Record(ReadOnlySpan<byte> header)
    {
        long lastOffset = RecordBatchHeader.LastOffset(header);
        MapEndOffset = lastOffset + 1;
        long producerId = RecordBatchHeader.ProducerId(header);
        if (producerId < 0 || (RecordBatchHeader.Attributes(header) & RecordBatchAttributes.Control) != 0)
            return;
        int offsetDelta = RecordBatchHeader.LastOffsetDelta(header);
        int lastSequence = ProducerSequences.Increment(RecordBatchHeader.BaseSequence(header), offsetDelta);
        Entry(producerId).AddBatch(RecordBatchHeader.ProducerEpoch(header), lastSequence, lastOffset, offsetDelta, RecordBatchHeader.MaxTimestamp(header));
    }

    private ProducerStateEntry Entry(long producerId)
    {
        if (_producers.TryGetValue(producerId, out ProducerStateEntry? entry))
            return entry;
        if (_spare.TryPop(out entry))
            entry.Reset(producerId);
        else
            entry = new ProducerStateEntry(producerId);
        _producers.Add(producerId, entry);
        Config.Added(1);
        return entry;
    }

    /// <summary>The log has moved on without batches here (an empty roll, a start past the end).</summary>
    internal void UpdateMapEndOffset(long offset) => MapEndOffset = offset;

    /// <summary>
    /// Drops producers whose last batch is <c>producer.id.expiration.ms</c> older than <paramref name="nowMs"/>, unless
    /// they have a transaction open (Kafka's rule). Returns how many.
    /// </summary>
    internal int RemoveExpired(long nowMs)
    {
        List<long>? expired = null;
        foreach ((long id, ProducerStateEntry entry) in _producers)
        {
            if (IsExpired(entry.CurrentTxnFirstOffset, entry.LastTimestamp, nowMs))
                (expired ??= []).Add(id);
        }
        if (expired is null)
            return 0;
        foreach (long id in expired)
            Remove(id);
        return expired.Count;
    }

    private bool IsExpired(long currentTxnFirstOffset, long lastTimestamp, long nowMs) =>
        currentTxnFirstOffset < 0 && nowMs - lastTimestamp >= Config.ExpirationMs;

    private void Remove(long producerId)
    {
        if (!_producers.Remove(producerId, out ProducerStateEntry? entry))
            return;
        Config.Removed(1);
        if (_spare.Count < MaxSpare)
            _spare.Push(entry);
    }

    /// <summary>Forgets every producer (the entries go back to the broker's count).</summary>
    internal void Clear()
    {
        Config.Removed(_producers.Count);
        foreach (ProducerStateEntry entry in _producers.Values)
        {
            if (_spare.Count == MaxSpare)
                break;
            _spare.Push(entry);
        }
        _producers.Clear();
    }

    /// <summary>Writes a snapshot of the state at <paramref name="offset"/> unless one is there already.</summary>
    internal void TakeSnapshot(long offset, bool durable)
    {
        string path = ProducerSnapshotFile.PathFor(Directory, offset);
        if (_snapshots.Contains(offset))
        {
            // Taken at a roll without fsync; a clean close makes it durable.
            if (durable && File.Exists(path))
            {
                using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                RandomAccess.FlushToDisk(file);
            }
            return;
        }
        ProducerSnapshotFile.Write(path, _producers.Values, durable);
        _snapshots.Add(offset);
    }

    /// <summary>Deletes the snapshots above <paramref name="offset"/> (their log is gone).</summary>
    internal void DeleteSnapshotsAbove(long offset)
    {
        while (_snapshots.Count > 0 && _snapshots.Max > offset)
            DeleteSnapshot(_snapshots.Max);
    }

    /// <summary>Deletes the snapshots below <paramref name="offset"/> (their segments are gone).</summary>
    internal void DeleteSnapshotsBelow(long offset)
    {
        while (_snapshots.Count > 0 && _snapshots.Min < offset)
            DeleteSnapshot(_snapshots.Min);
    }

    /// <summary>
    /// Kafka's rule for snapshots that belong to no segment (each clean close leaves one at its log end): only the
    /// latest is kept, and only if it is not below the last segment's base offset, so a log that stops often does not
    /// gather them.
    /// </summary>
    internal void DeleteStraySnapshots(Func<long, bool> isSegmentBase, long lastSegmentBase)
    {
        long? latestStray = null;
        foreach (long offset in _snapshots.ToArray())
        {
            if (isSegmentBase(offset))
                continue;
            if (latestStray is long earlier)
                DeleteSnapshot(earlier);
            latestStray = offset;
        }
        if (latestStray is long stray && stray < lastSegmentBase)
            DeleteSnapshot(stray);
    }

    internal void DeleteAllSnapshots()
    {
        while (_snapshots.Count > 0)
            DeleteSnapshot(_snapshots.Min);
    }

    private void DeleteSnapshot(long offset)
    {
        _snapshots.Remove(offset);
        File.Delete(ProducerSnapshotFile.PathFor(Directory, offset));
    }

    /// <summary>
    /// Starts over from the latest readable snapshot at or below <paramref name="endOffset"/>: clears the state,
    /// deletes snapshots above the end, loads that snapshot (dropping producers expired by <paramref name="nowMs"/>),
    /// and deletes corrupt ones on the way. Returns the offset the log must be replayed from: the snapshot's, or
    /// <paramref name="logStart"/> when there is none.
    /// </summary>
    internal long ReloadFromSnapshot(long logStart, long endOffset, long nowMs)
    {
        Clear();
        DeleteSnapshotsAbove(endOffset);
        while (_snapshots.Count > 0)
        {
            long offset = _snapshots.Max;
            if (offset < logStart)
                break;
            string path = ProducerSnapshotFile.PathFor(Directory, offset);
            string? problem;
            bool read;
            try
            {
                read = ProducerSnapshotFile.TryRead(path, LoadEntry(nowMs), out problem, LoadEarlierBatch);
            }
            catch (FileNotFoundException)
            {
                (read, problem) = (false, "the file is gone");
            }
            if (read)
            {
                MapEndOffset = offset;
                return offset;
            }
            Clear();
            Problems.Add($"{path}: {problem}; deleted, state rebuilt from an earlier snapshot or the log");
            DeleteSnapshot(offset);
        }
        MapEndOffset = logStart;
        return logStart;
    }

    private Action<ProducerSnapshotEntry> LoadEntry(long nowMs) => loaded =>
    {
        if (IsExpired(loaded.CurrentTxnFirstOffset, loaded.Timestamp, nowMs))
            return;
        ProducerBatchMetadata? last = loaded.LastOffset >= 0
            ? new ProducerBatchMetadata(loaded.LastSequence, loaded.LastOffset, loaded.OffsetDelta, loaded.Timestamp)
            : null;
        Entry(loaded.ProducerId).Load(loaded.Epoch, loaded.CoordinatorEpoch, loaded.CurrentTxnFirstOffset, loaded.Timestamp, last);
    };

    /// <summary>A batch before a loaded producer's last (the snapshot's section after Kafka's entries); ignored for producers not loaded.</summary>
    private void LoadEarlierBatch(long producerId, ProducerBatchMetadata batch)
    {
        if (_producers.TryGetValue(producerId, out ProducerStateEntry? entry))
            entry.InsertBeforeLast(batch);
    }

    /// <summary>Forgets everything, snapshots included, and starts at <paramref name="offset"/> (the log was emptied).</summary>
    internal void TruncateFullyAndStartAt(long offset)
    {
        Clear();
        DeleteAllSnapshots();
        MapEndOffset = offset;
    }
}
