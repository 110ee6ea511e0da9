using Gregor.Protocol;
using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>
/// What a leader's append did: the offsets it assigned; or, for a retry of a batch already written, that batch's
/// original offsets with nothing written (<see cref="IsDuplicate"/>; Kafka answers it as a success); or the error
/// that refused it (INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER, THROTTLING_QUOTA_EXCEEDED).
/// </summary>
public readonly record struct LeaderAppendResult(ErrorCode Error, string? ErrorMessage, LogAppendResult Appended, bool IsDuplicate)
{
    public bool Succeeded => Error == ErrorCode.None;
}

public sealed partial class PartitionLog
{
    private ProducerStateManager _producerState = null!;

    /// <summary>This partition's idempotent producers. Read it only under <see cref="WithProducerState"/> (the writer lock).</summary>
    internal ProducerStateManager ProducerState => _producerState;

    /// <summary>Runs <paramref name="action"/> on the producer state under the writer lock (tests, DescribeProducers).</summary>
    public T WithProducerState<T>(Func<ProducerStateManager, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_writeLock)
            return action(_producerState);
    }

    /// <summary>
    /// Appends a client's batch as the leader, checking an idempotent producer's epoch and sequence against this
    /// partition's producer state under the writer lock, so the check and the append are one step. A retry of one of
    /// the producer's last five batches is answered with its original offsets and nothing is written. Framing and
    /// size problems still throw, as <see cref="Append"/>'s do; the producer-state outcomes are results.
    /// </summary>
    /// <param name="records">The batches, rewritten in place (offsets, leader epoch); a producer's batch comes alone, as Produce v3+ sends it.</param>
    public LeaderAppendResult AppendAsLeader(Span<byte> records, int leaderEpoch = RecordBatchHeader.NoPartitionLeaderEpoch, bool crcVerified = false)
    {
        AppendChecks checks = Volatile.Read(ref _appendChecks);
        (int batchCount, int recordCount) = ValidateAll(records, crcVerified ? checks.LeaderCrcVerified : checks.Leader);
        long producerId = RecordBatchHeader.ProducerId(records);
        if (batchCount > 1)
        {
            for (int position = 0; position < records.Length; position += RecordBatchHeader.TotalSize(records[position..]))
            {
                if (RecordBatchHeader.ProducerId(records[position..]) >= 0)
                    throw new InvalidRecordException("An idempotent producer's batch is appended alone, one per partition as Produce v3+ sends it.");
            }
        }
        if (producerId < 0)
            return new LeaderAppendResult(ErrorCode.None, null, AppendValidated(records, leaderEpoch, batchCount, recordCount), false);
        short epoch = RecordBatchHeader.ProducerEpoch(records);
        int firstSequence = RecordBatchHeader.BaseSequence(records);
        int lastSequence = ProducerSequences.Increment(firstSequence, RecordBatchHeader.LastOffsetDelta(records));
        lock (_writeLock)
        {
            ThrowIfClosed();
            switch (_producerState.CheckLeaderBatch(producerId, epoch, firstSequence, lastSequence, out ProducerBatchMetadata duplicate,
                out ErrorCode error, out string? message))
            {
                case ProducerCheck.Duplicate:
                    var original = new LogAppendResult(duplicate.FirstOffset, duplicate.LastOffset, -1, -1, -1, _logEndOffset, _logStartOffset, 0, 0);
                    return new LeaderAppendResult(ErrorCode.None, null, original, true);
                case ProducerCheck.Refused:
                    return new LeaderAppendResult(error, message, default, false);
                default:
                    // The writer lock is re-entered: nothing can come between the check and the append.
                    return new LeaderAppendResult(ErrorCode.None, null, AppendValidated(records, leaderEpoch, batchCount, recordCount), false);
            }
        }
    }

    /// <summary>Drops producers silent for producer.id.expiration.ms (by their last batch's timestamp); returns how many.</summary>
    public int RemoveExpiredProducers()
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            return _producerState.RemoveExpired(NowMs);
        }
    }

    /// <summary>Producer ids this partition remembers.</summary>
    public int ProducerCount
    {
        get
        {
            lock (_writeLock)
                return _closed ? 0 : _producerState.Count;
        }
    }

    private void AttachProducerState(ProducerStateConfig config) => _producerState = new ProducerStateManager(Directory, config);

    /// <summary>
    /// Builds the producer state when the log opens, after recovery settled its end: the latest snapshot at or below
    /// the end, then the log's batch headers from there. A log closed cleanly without any snapshot predates them (or
    /// never rolled); as Kafka does, it is not scanned: no idempotent producer state can be lost that was ever kept.
    /// </summary>
    private void LoadProducerState(bool cleanShutdown)
    {
        lock (_writeLock)
        {
            LogSegment[] segments = _segments;
            _producerState.DeleteSnapshotsBelow(segments[0].BaseOffset);
            if (_producerState.SnapshotOffsets.Count > 0)
            {
                _producerState.DeleteStraySnapshots(offset => FloorIndex(segments, offset) is int at && at >= 0 && segments[at].BaseOffset == offset,
                    segments[^1].BaseOffset);
            }
            if (cleanShutdown && _producerState.SnapshotOffsets.Count == 0)
            {
                _producerState.UpdateMapEndOffset(_logEndOffset);
                return;
            }
            RebuildProducerState();
        }
    }

    /// <summary>Under the writer lock: reload from the latest snapshot at or below the log end and replay the log after it.</summary>
    private void RebuildProducerState()
    {
        LogSegment[] segments = _segments;
        long end = _logEndOffset;
        long from = _producerState.ReloadFromSnapshot(segments[0].BaseOffset, end, NowMs);
        // A snapshot at the end (a clean close) leaves nothing to replay: no segment is opened or mapped.
        for (int index = Math.Max(0, FloorIndex(segments, from)); from < end && index < segments.Length && segments[index].BaseOffset < end; index++)
            segments[index].ReplayProducerState(from, end, _producerState);
        _producerState.UpdateMapEndOffset(end);
    }

    /// <summary>A segment rolled: the state at its base offset is snapshotted, as Kafka does (not fsynced; a torn one is ignored on load).</summary>
    private void SnapshotProducerStateOnRoll(long baseOffset)
    {
        _producerState.UpdateMapEndOffset(baseOffset);
        _producerState.TakeSnapshot(baseOffset, durable: false);
    }

    /// <summary>
    /// Closing: the state at the log end is snapshotted, so the next open reads no log (the entries are released
    /// after). A log that has neither producers nor snapshots writes none: a clean open without snapshots starts
    /// empty, which is its state, and a broker stopping with many such logs creates no file for each.
    /// </summary>
    private void SnapshotProducerStateOnClose(bool durable)
    {
        _producerState.UpdateMapEndOffset(_logEndOffset);
        if (_producerState.Count == 0 && _producerState.SnapshotOffsets.Count == 0)
            return;
        _producerState.TakeSnapshot(_logEndOffset, durable);
    }
}
