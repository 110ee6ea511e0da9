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
    /// <summary>The leader epoch the records were appended under (-1 when nothing was appended).</summary>
    public int LeaderEpoch { get; init; } = -1;

    public static PartitionAppendOutcome Failed(ErrorCode error, string? message, IReadOnlyList<RecordError>? recordErrors = null) =>
        new(error, message, -1, -1, -1, -1, recordErrors);
}

public sealed partial class HostedPartition
{
    /// <summary>
    /// Appends a client's records as the leader: checks them (<see cref="ProducedBatchChecks"/>), appends them through
    /// the log, which checks an idempotent producer's epoch and sequence against the partition's producer state in the
    /// same step (rewriting the batch headers in <paramref name="records"/>), and moves the high watermark as far as
    /// the in-sync replicas allow. A retried batch is answered with its original offsets.
    /// </summary>
    public PartitionAppendOutcome AppendAsLeader(Span<byte> records, short produceVersion, long nowMs)
    {
        ErrorCode leadership = CheckLeader(-1);
        if (leadership != ErrorCode.None)
        {
            RefusedBatches.Refused(records, nowMs);
            return PartitionAppendOutcome.Failed(leadership, null);
        }
        TopicSettings settings = Settings;
        ProducedBatchesCheck check = ProducedBatchChecks.Check(records, settings, produceVersion, nowMs);
        if (check.Error != ErrorCode.None)
            return PartitionAppendOutcome.Failed(check.Error, check.Message, check.RecordErrors);
        PartitionAppendOutcome outcome;
        // Leadership cannot change during the append: the batch is stamped with the epoch this broker leads at, and an
        // image deposing it waits until the batch is in the log, where truncation on becoming a follower finds it. A
        // batch stamped with a successor's epoch after this broker lost leadership would escape that truncation and
        // leave the replicas' logs different at the same offsets.
        lock (_transitionLock)
        {
            int leaderEpoch = LeaderEpochIfLeader;
            if (leaderEpoch < 0 || IsRemoved)
            {
                RefusedBatches.Refused(records, nowMs);
                return PartitionAppendOutcome.Failed(ErrorCode.NotLeaderOrFollower, "This broker no longer leads the partition.");
            }
            if (!RefusedBatches.IsEmpty && SkipsARefusedBatch(records, nowMs, out string? skipped))
                return PartitionAppendOutcome.Failed(ErrorCode.OutOfOrderSequenceNumber, skipped);
            outcome = Append(records, leaderEpoch) with { LeaderEpoch = leaderEpoch };
            if (outcome.Error == ErrorCode.None && !RefusedBatches.IsEmpty)
                RefusedBatches.Appended(RecordBatchHeader.ProducerId(records));
        }
        if (outcome.Error == ErrorCode.None)
            MaybeAdvanceHighWatermark();
        return outcome;
    }

    /// <summary>Idempotent batches refused here before they were written (<see cref="RefusedProducerBatches"/>).</summary>
    internal RefusedProducerBatches RefusedBatches { get; } = new();

    /// <summary>
    /// Whether the head batch of <paramref name="records"/> comes after a batch of its producer refused here unwritten,
    /// while this leader has no state for the producer and so would take any sequence.
    /// </summary>
    private bool SkipsARefusedBatch(ReadOnlySpan<byte> records, long nowMs, out string? message)
    {
        message = null;
        if (!RefusedBatches.SkipsARefusedBatch(records, nowMs, out long producerId, out int refused))
            return false;
        if (Log.WithProducerState(state => state.TryGet(producerId, out _)))
            return false;
        message = $"Producer {producerId} sent sequence {RecordBatchHeader.BaseSequence(records)}, but its batch at sequence {refused} was refused " +
            "here unwritten and this leader has no state for the producer: the earlier batches must come first.";
        return true;
    }

    private PartitionAppendOutcome Append(Span<byte> records, int leaderEpoch)
    {
        try
        {
            // ProducedBatchChecks has just checked these bytes' CRCs; the log checks framing and headers only.
            LeaderAppendResult result = Log.AppendAsLeader(records, leaderEpoch, crcVerified: true);
            if (!result.Succeeded)
            {
                // A sequence or epoch refusal is judged against state the producer cannot see; the log's position
                // beside it is what tells a retry after a failover from a real gap.
                string? message = result.Error is ErrorCode.OutOfOrderSequenceNumber or ErrorCode.InvalidProducerEpoch
                    ? $"{result.ErrorMessage} (leader epoch {leaderEpoch}, log end {Log.LogEndOffset}, high watermark {Log.HighWatermark})"
                    : result.ErrorMessage;
                return PartitionAppendOutcome.Failed(result.Error, message);
            }
            LogAppendResult appended = result.Appended;
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
    internal int ExpireProducers() => Log.RemoveExpiredProducers();
}
