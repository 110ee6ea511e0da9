using Gregor.Protocol;
using Gregor.Protocol.Records;
using Gregor.Storage;

namespace Gregor.Broker.Replication;

/// <summary>What appending one partition's records did: the offsets assigned, or the error.</summary>
public readonly record struct PartitionAppendOutcome(
    ErrorCode Error,
    string? ErrorMessage,
    long BaseOffset,
    long LastOffset,
    long LogAppendTime,
    long LogStartOffset,
    IReadOnlyList<RecordError>? RecordErrors)
{
    public static PartitionAppendOutcome Failed(ErrorCode error, string? message, IReadOnlyList<RecordError>? recordErrors = null) =>
        new(error, message, -1, -1, -1, -1, recordErrors);
}

public sealed partial class HostedPartition
{
    /// <summary>
    /// Appends a client's records as the leader: checks them (<see cref="ProducedBatchChecks"/>), checks an
    /// idempotent producer's sequence, appends (rewriting the batch headers in <paramref name="records"/>), and
    /// moves the high watermark as far as the in-sync replicas allow.
    /// </summary>
    public PartitionAppendOutcome AppendAsLeader(Span<byte> records, short produceVersion, long nowMs)
    {
        ErrorCode leadership = CheckLeader(-1);
        if (leadership != ErrorCode.None)
            return PartitionAppendOutcome.Failed(leadership, null);
        TopicSettings settings = Settings;
        ProducedBatchesCheck check = ProducedBatchChecks.Check(records, settings, produceVersion, nowMs);
        if (check.Error != ErrorCode.None)
            return PartitionAppendOutcome.Failed(check.Error, check.Message, check.RecordErrors);

        RecordBatchInfo batch = check.FirstBatch;
        bool idempotent = batch.ProducerId >= 0;
        int lastSequence = idempotent ? (int)((batch.BaseSequence + (long)batch.RecordCount - 1) % ((long)int.MaxValue + 1)) : -1;
        PartitionAppendOutcome outcome;
        lock (AppendLock)
        {
            if (idempotent)
            {
                ErrorCode sequence = Producers.Check(batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, lastSequence, out long duplicateOf);
                if (sequence != ErrorCode.None)
                {
                    return PartitionAppendOutcome.Failed(sequence,
                        $"Producer {batch.ProducerId} epoch {batch.ProducerEpoch} sequence {batch.BaseSequence}: {sequence}.");
                }
                if (duplicateOf >= 0)
                {
                    // A retry of a batch already written: answer as the first time, write nothing.
                    return new PartitionAppendOutcome(ErrorCode.None, null, duplicateOf, duplicateOf + batch.RecordCount - 1, -1, Log.LogStartOffset, null);
                }
            }
            outcome = Append(records, State?.LeaderEpoch ?? RecordBatchHeader.NoPartitionLeaderEpoch);
            if (idempotent && outcome.Error == ErrorCode.None)
                Producers.Record(batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, lastSequence, outcome.BaseOffset, nowMs);
        }
        if (outcome.Error == ErrorCode.None)
            MaybeAdvanceHighWatermark();
        return outcome;
    }

    private PartitionAppendOutcome Append(Span<byte> records, int leaderEpoch)
    {
        try
        {
            // ProducedBatchChecks has just checked these bytes' CRCs; the log checks framing and headers only.
            LogAppendResult appended = Log.Append(records, leaderEpoch, crcVerified: true);
            return new PartitionAppendOutcome(ErrorCode.None, null, appended.FirstOffset, appended.LastOffset,
                appended.LogAppendTime, appended.LogStartOffset, null);
        }
        catch (RecordTooLargeException error)
        {
            return PartitionAppendOutcome.Failed(ErrorCode.MessageTooLarge, error.Message);
        }
        catch (CorruptRecordException error)
        {
            return PartitionAppendOutcome.Failed(ErrorCode.CorruptMessage, error.Message);
        }
        catch (InvalidRecordException error)
        {
            return PartitionAppendOutcome.Failed(ErrorCode.InvalidRecord, error.Message);
        }
        catch (LogClosedException)
        {
            // Closed under us: the topic was deleted or the broker is stopping.
            return PartitionAppendOutcome.Failed(ErrorCode.NotLeaderOrFollower, "The partition is no longer hosted here.");
        }
        catch (IOException error)
        {
            return PartitionAppendOutcome.Failed(ErrorCode.KafkaStorageError, error.Message);
        }
    }

    /// <summary>Drops state of producers that have been silent past producer.id.expiration.ms.</summary>
    internal int ExpireProducers(long nowMs)
    {
        lock (AppendLock)
            return Producers.RemoveExpired(nowMs);
    }
}
