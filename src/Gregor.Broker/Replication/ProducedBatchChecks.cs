using Gregor.Protocol;
using Gregor.Protocol.Compression;
using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;

namespace Gregor.Broker.Replication;

/// <summary>A record a produce refused: its index in its batch, and why (Produce v8+ record errors).</summary>
public readonly record struct RecordError(int BatchIndex, string? Message);

/// <summary>What the checks of a produced records blob found: an error, or the facts the append needs.</summary>
internal readonly record struct ProducedBatchesCheck(
    ErrorCode Error,
    string? Message,
    List<RecordError>? RecordErrors,
    int BatchCount,
    RecordBatchInfo FirstBatch)
{
    public static ProducedBatchesCheck Fail(ErrorCode error, string message, List<RecordError>? recordErrors = null) =>
        new(error, message, recordErrors, 0, default);
}

/// <summary>
/// The broker's checks of a client's batches before they reach the log (which only checks headers and
/// CRCs): every record's structure, the size limit, Produce v3+'s one-batch rule, codecs the request
/// version allows, and CreateTime timestamps within message.timestamp.before/after.max.ms. The valid path
/// allocates nothing for uncompressed batches.
/// </summary>
internal static class ProducedBatchChecks
{
    /// <summary>Produce v3 is the first to carry v2 batches, and must carry exactly one per partition.</summary>
    private const short FirstSingleBatchVersion = 3;

    /// <summary>zstd batches need Produce v7+ (KIP-110).</summary>
    private const short FirstZstdVersion = 7;

    public static ProducedBatchesCheck Check(ReadOnlySpan<byte> records, TopicSettings settings, short produceVersion, long nowMs)
    {
        if (records.IsEmpty)
            return ProducedBatchesCheck.Fail(ErrorCode.InvalidRecord, "The produce request holds no record batch for this partition.");
        RecordBatchValidationOptions options = settings.ProduceValidation;
        var batches = new RecordBatchEnumerator(records, options.MaxBatchBytes);
        int count = 0;
        RecordBatchInfo first = default;
        bool checkTimestamps = settings.Log.MessageTimestampType == Storage.MessageTimestampType.CreateTime;
        while (batches.MoveNext())
        {
            if (batches.CurrentMagic != RecordBatchHeader.CurrentMagic)
            {
                return batches.CurrentMagic > RecordBatchHeader.CurrentMagic
                    ? ProducedBatchesCheck.Fail(ErrorCode.CorruptMessage, $"Record batch magic {batches.CurrentMagic} is not a Kafka format.")
                    : ProducedBatchesCheck.Fail(ErrorCode.InvalidRecord,
                        $"Produce v{produceVersion} carries record batches of magic 2 only; this one has magic {batches.CurrentMagic}.");
            }
            if (count == 1 && produceVersion >= FirstSingleBatchVersion)
                return ProducedBatchesCheck.Fail(ErrorCode.InvalidRecord, $"Produce v{produceVersion} carries exactly one record batch per partition.");
            RecordBatchValidationResult result = RecordBatchValidator.Validate(batches.Current, options, out RecordBatchInfo info);
            if (!result.IsValid)
                return FromValidation(result.ShiftedBy(batches.CurrentPosition), count);
            if (info.Compression == CompressionType.Zstd && produceVersion < FirstZstdVersion)
                return ProducedBatchesCheck.Fail(ErrorCode.UnsupportedCompressionType, $"zstd batches need Produce v{FirstZstdVersion} or later.");
            if (info.IsTransactional)
            {
                // No transaction coordinator yet, so no transaction can have added this partition.
                return ProducedBatchesCheck.Fail(ErrorCode.InvalidTxnState, "Transactional produce is not supported by this broker yet.");
            }
            if (checkTimestamps)
            {
                ProducedBatchesCheck timestamps = CheckTimestamps(batches.Current, info, settings, nowMs);
                if (timestamps.Error != ErrorCode.None)
                    return timestamps;
            }
            if (count == 0)
                first = info;
            count++;
        }
        if (!batches.Error.IsValid)
            return FromValidation(batches.Error, count);
        if (count > 1 && first.ProducerId >= 0)
            return ProducedBatchesCheck.Fail(ErrorCode.InvalidRecord, "Idempotent batches come one per partition.");
        return new ProducedBatchesCheck(ErrorCode.None, null, null, count, first);
    }

    /// <summary>
    /// CreateTime timestamps must lie within [now - before.max, now + after.max]. The batch's max timestamp
    /// settles the upper bound without reading records; the lower bound (unbounded by default) needs them.
    /// </summary>
    private static ProducedBatchesCheck CheckTimestamps(ReadOnlySpan<byte> batch, in RecordBatchInfo info, TopicSettings settings, long nowMs)
    {
        long latest = settings.TimestampAfterMaxMs >= long.MaxValue - nowMs ? long.MaxValue : nowMs + settings.TimestampAfterMaxMs;
        long earliest = settings.TimestampBeforeMaxMs >= nowMs ? long.MinValue : nowMs - settings.TimestampBeforeMaxMs;
        if (info.MaxTimestamp <= latest && earliest == long.MinValue)
            return default;
        List<RecordError>? errors = null;
        RecordBatchValidationResult opened = RecordBatchReader.TryOpen(batch, out RecordBatchReader reader, settings.ProduceValidation.MaxDecompressedBytes);
        if (!opened.IsValid)
            return FromValidation(opened, 0);
        using (reader)
        {
            int index = 0;
            while (reader.TryReadNext(out Record record))
            {
                long timestamp = record.Timestamp;
                // -1 is "no timestamp" (converted v0 messages); Kafka lets it through.
                if (timestamp != -1 && (timestamp > latest || timestamp < earliest))
                {
                    (errors ??= []).Add(new RecordError(index,
                        $"Timestamp {timestamp} of the record at index {index} is outside [{earliest}, {latest}] (message.timestamp.before.max.ms / after.max.ms)."));
                }
                index++;
            }
        }
        return errors is null
            ? default
            : ProducedBatchesCheck.Fail(ErrorCode.InvalidTimestamp, errors[0].Message!, errors);
    }

    /// <summary>Kafka's mapping: framing and checksum defects are corrupt data; the size limit is its own error; the rest are invalid records.</summary>
    internal static ProducedBatchesCheck FromValidation(in RecordBatchValidationResult result, int batchIndex)
    {
        ErrorCode code = result.Error switch
        {
            BatchTooLarge => ErrorCode.MessageTooLarge,
            TruncatedHeader or BatchLengthTooSmall or TruncatedBatch or TrailingBytes or CrcMismatch
                or InvalidCompressionCodec or DecompressionFailed => ErrorCode.CorruptMessage,
            UnsupportedMagic when result.Actual > RecordBatchHeader.CurrentMagic => ErrorCode.CorruptMessage,
            UnsupportedCompression => ErrorCode.UnsupportedCompressionType,
            _ => ErrorCode.InvalidRecord,
        };
        string message = result.Message;
        List<RecordError>? recordErrors = code == ErrorCode.InvalidRecord ? [new RecordError(batchIndex, message)] : null;
        return ProducedBatchesCheck.Fail(code, message, recordErrors);
    }
}
