using Gregor.Protocol.Records;

namespace Gregor.Storage;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Appends the batches of a Produce records blob as the leader. Each batch is checked (framing, magic v2,
    /// CRC, size against max.message.bytes) before anything is written; then offsets are assigned by rewriting
    /// each header's base offset in <paramref name="records"/> (and the leader epoch when given, and the max
    /// timestamp for LogAppendTime topics), and the bytes go to the active segment as they are.
    /// </summary>
    /// <param name="records">One or more v2 batches, back to back; rewritten in place.</param>
    /// <param name="leaderEpoch">Stamped into each batch when not negative.</param>
    /// <param name="crcVerified">
    /// The caller checked every batch's CRC32C over these same bytes just before (a broker's Produce path does),
    /// so the log checks framing and headers but does not checksum the data a second time.
    /// </param>
    public LogAppendResult Append(Span<byte> records, int leaderEpoch = RecordBatchHeader.NoPartitionLeaderEpoch, bool crcVerified = false)
    {
        AppendChecks checks = Volatile.Read(ref _appendChecks);
        (int batchCount, int recordCount) = ValidateAll(records, crcVerified ? checks.LeaderCrcVerified : checks.Leader);
        return AppendValidated(records, leaderEpoch, batchCount, recordCount);
    }

    /// <summary>The append of checked batches: offsets assigned, bytes written, producer state updated.</summary>
    private LogAppendResult AppendValidated(Span<byte> records, int leaderEpoch, int batchCount, int recordCount)
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            MarkModified();
            LogConfig config = _config;
            long now = NowMs;
            bool appendTime = config.MessageTimestampType == MessageTimestampType.LogAppendTime;
            long firstOffset = _logEndOffset, next = firstOffset, maxTimestamp = -1, offsetOfMax = firstOffset;
            // Every batch is stamped with this epoch, so the first one's offset is where it starts.
            LearnEpoch(leaderEpoch, firstOffset);
            for (int position = 0; position < records.Length;)
            {
                Span<byte> batch = records[position..];
                int size = RecordBatchHeader.TotalSize(batch);
                batch = batch[..size];
                RecordBatchHeader.SetBaseOffset(batch, next);
                if (leaderEpoch >= 0)
                    RecordBatchHeader.SetPartitionLeaderEpoch(batch, leaderEpoch);
                if (appendTime)
                    RecordBatchHeader.SetMaxTimestampAndRecomputeCrc(batch, now, RecordBatchHeader.Attributes(batch) | RecordBatchAttributes.LogAppendTime);
                long last = RecordBatchHeader.LastOffset(batch);
                long batchMax = RecordBatchHeader.MaxTimestamp(batch);
                if (batchMax > maxTimestamp)
                {
                    maxTimestamp = batchMax;
                    offsetOfMax = last;
                }
                next = last + 1;
                position += size;
            }
            long lastOffset = next - 1;
            LogSegment segment = MaybeRoll(config, records.Length, maxTimestamp, firstOffset, lastOffset, now);
            segment.Append(records, lastOffset, config.IndexIntervalBytes);
            _producerState.OnAppended(records);
            Volatile.Write(ref _logEndOffset, next);
            MaybeFlushAfterAppend(config, now);
            return new LogAppendResult(firstOffset, lastOffset, appendTime ? now : -1, maxTimestamp, offsetOfMax, next,
                _logStartOffset, batchCount, recordCount);
        }
    }

    /// <summary>
    /// Appends batches fetched from the leader, keeping their offsets and bytes. The first batch must start at
    /// or after the log end offset (gaps are allowed, as compacted leaders have them) and offsets must increase.
    /// </summary>
    public LogAppendResult AppendReplicated(ReadOnlySpan<byte> records)
    {
        (int batchCount, int recordCount) = ValidateAll(records, Volatile.Read(ref _appendChecks).Replica);
        lock (_writeLock)
        {
            ThrowIfClosed();
            MarkModified();
            LogConfig config = _config;
            long now = NowMs;
            long firstOffset = RecordBatchHeader.BaseOffset(records), expected = _logEndOffset;
            long maxTimestamp = -1, offsetOfMax = firstOffset, lastOffset = -1;
            int latestEpoch = _epochs.LatestEpoch;
            bool newEpoch = false;
            for (int position = 0; position < records.Length;)
            {
                ReadOnlySpan<byte> batch = records[position..];
                long baseOffset = RecordBatchHeader.BaseOffset(batch);
                newEpoch |= RecordBatchHeader.PartitionLeaderEpoch(batch) != latestEpoch;
                lastOffset = RecordBatchHeader.LastOffset(batch);
                if (baseOffset < expected)
                {
                    throw new UnexpectedAppendOffsetException(
                        $"Replicated batch at offset {baseOffset} does not follow {expected - 1} (log end offset {_logEndOffset}).", firstOffset, lastOffset);
                }
                long batchMax = RecordBatchHeader.MaxTimestamp(batch);
                if (batchMax > maxTimestamp)
                {
                    maxTimestamp = batchMax;
                    offsetOfMax = lastOffset;
                }
                expected = lastOffset + 1;
                position += RecordBatchHeader.TotalSize(batch);
            }
            if (newEpoch)
                LearnEpochs(records);
            LogSegment segment = MaybeRoll(config, records.Length, maxTimestamp, firstOffset, lastOffset, now);
            segment.Append(records, lastOffset, config.IndexIntervalBytes);
            _producerState.OnAppended(records);
            Volatile.Write(ref _logEndOffset, expected);
            MaybeFlushAfterAppend(config, now);
            return new LogAppendResult(firstOffset, lastOffset, -1, maxTimestamp, offsetOfMax, expected, _logStartOffset, batchCount, recordCount);
        }
    }

    /// <summary>Under the writer lock, before the data is written: the leader epoch each replicated batch carries.</summary>
    private void LearnEpochs(ReadOnlySpan<byte> records)
    {
        for (int position = 0; position < records.Length; position += RecordBatchHeader.TotalSize(records[position..]))
        {
            ReadOnlySpan<byte> batch = records[position..];
            LearnEpoch(RecordBatchHeader.PartitionLeaderEpoch(batch), RecordBatchHeader.BaseOffset(batch));
        }
    }

    /// <summary>
    /// Checks every batch of the blob (framing, magic, CRC, header, size against max.message.bytes) before any
    /// of it is written; returns batch and record counts.
    /// </summary>
    private static (int Batches, int Records) ValidateAll(ReadOnlySpan<byte> records, RecordBatchValidationOptions options)
    {
        if (records.IsEmpty)
            throw new InvalidRecordException("The records blob holds no batch.");
        RecordBatchValidationResult result = RecordBatchValidator.ValidateAll(records, options, out int batches, out long count);
        if (!result.IsValid)
            throw StoredBatchChecks.ToException(result);
        if (count > int.MaxValue)
            throw new InvalidRecordException($"The records blob declares {count} records, more than one append can take.");
        return (batches, (int)count);
    }

    /// <summary>Rolls to a new segment when the active one is full by size, age, index space or offset range.</summary>
    private LogSegment MaybeRoll(LogConfig config, int appendBytes, long maxTimestamp, long firstOffset, long lastOffset, long now)
    {
        LogSegment active = _segments[^1];
        if (!active.ShouldRoll(config, appendBytes, maxTimestamp, lastOffset, now))
            return active;
        return Roll(Math.Max(firstOffset, _logEndOffset), now);
    }

    /// <summary>
    /// Starts a new active segment at <paramref name="baseOffset"/>. The old one gets its closing time index
    /// entry and trimmed indexes; it is fsynced by the next flush, which moves the recovery point past it.
    /// </summary>
    private LogSegment Roll(long baseOffset, long now)
    {
        LogConfig config = _config;
        LogSegment[] segments = _segments;
        LogSegment active = segments[^1];
        if (active.Size == 0)
        {
            if (active.BaseOffset == baseOffset)
                return active;
            // An empty active segment would only leave a hole in the list: replace it.
            var replaced = segments.ToArray();
            replaced[^1] = LogSegment.Create(Directory, baseOffset, config, now, _budgets);
            PublishSegments(replaced);
            active.Delete();
            SnapshotProducerStateOnRoll(baseOffset);
            return replaced[^1];
        }
        active.OnBecomeInactive();
        LogSegment created = LogSegment.Create(Directory, baseOffset, config, now, _budgets);
        PublishSegments([.. segments, created]);
        SnapshotProducerStateOnRoll(baseOffset);
        return created;
    }

    /// <summary>Forces a new segment now (tests, and the cleaner when it needs the active data to become inactive).</summary>
    public void Roll()
    {
        lock (_writeLock)
        {
            ThrowIfClosed();
            MarkModified();
            Roll(_logEndOffset, NowMs);
        }
    }

    private void MaybeFlushAfterAppend(LogConfig config, long now)
    {
        if (_logEndOffset - _recoveryPoint >= config.FlushMessages || now - _lastFlushMs >= config.FlushMs)
            Flush();
    }
}
