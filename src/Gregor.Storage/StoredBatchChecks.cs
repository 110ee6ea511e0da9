using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;

namespace Gregor.Storage;

/// <summary>
/// What the log checks of batches, through the records validator: framing, magic v2, CRC32C and header
/// consistency, without parsing records (the broker checks those before a produce reaches the log, and the
/// log stores batches as they came). One CRC pass per batch is the whole cost on the append path, and none
/// when the caller says it has just checked the CRC itself.
/// </summary>
internal static class StoredBatchChecks
{
    /// <summary>A leader's append: producer batches, so offsets must be dense (lastOffsetDelta = count - 1).</summary>
    public static RecordBatchValidationOptions LeaderAppend(int maxMessageBytes) => HeaderOnly(maxMessageBytes, allowOffsetGaps: false);

    /// <summary>A leader's append of batches whose CRC the caller checked just before: the same without the CRC pass.</summary>
    public static RecordBatchValidationOptions LeaderAppendCrcVerified(int maxMessageBytes) =>
        HeaderOnly(maxMessageBytes, allowOffsetGaps: false) with { VerifyCrc = false };

    /// <summary>A follower's append: batches as the leader stores them, compaction's gaps and empty batches included.</summary>
    public static RecordBatchValidationOptions ReplicaAppend(int maxMessageBytes) => HeaderOnly(maxMessageBytes, allowOffsetGaps: true);

    /// <summary>Recovery: whatever a log may hold, of any size (max.message.bytes may have shrunk since it was written).</summary>
    public static RecordBatchValidationOptions Recovery { get; } = HeaderOnly(int.MaxValue, allowOffsetGaps: true);

    private static RecordBatchValidationOptions HeaderOnly(int maxBatchBytes, bool allowOffsetGaps) => new()
    {
        MaxBatchBytes = maxBatchBytes,
        AllowOffsetGaps = allowOffsetGaps,
        // Transaction markers and other control batches are written through the log by the broker itself.
        AllowControlBatches = true,
        RequireSequenceWithProducerId = false,
        CheckCompressedRecords = false,
        CheckUncompressedRecords = false,
    };

    /// <summary>The exception for a defect, carrying the validator's message: framing and checksum defects are corrupt data, size is its own error, the rest are invalid batches.</summary>
    public static StorageException ToException(in RecordBatchValidationResult result) => result.Error switch
    {
        BatchTooLarge => new RecordTooLargeException(result.Message + " (max.message.bytes)", result.Error),
        TruncatedHeader or BatchLengthTooSmall or TruncatedBatch or TrailingBytes or CrcMismatch
            => new CorruptRecordException(result.Message, result.Error),
        // Magic 0 and 1 are well-formed old formats, just not stored here; anything above 2 is garbage.
        UnsupportedMagic when result.Actual > RecordBatchHeader.CurrentMagic => new CorruptRecordException(result.Message, result.Error),
        _ => new InvalidRecordException(result.Message, result.Error),
    };
}

/// <summary>Live append-path options for one config, swapped as a whole when the config changes so a writer never builds them per append.</summary>
internal sealed class AppendChecks(LogConfig config)
{
    public LogConfig Config { get; } = config;
    public RecordBatchValidationOptions Leader { get; } = StoredBatchChecks.LeaderAppend(config.MaxMessageBytes);
    public RecordBatchValidationOptions LeaderCrcVerified { get; } = StoredBatchChecks.LeaderAppendCrcVerified(config.MaxMessageBytes);
    public RecordBatchValidationOptions Replica { get; } = StoredBatchChecks.ReplicaAppend(config.MaxMessageBytes);
}
