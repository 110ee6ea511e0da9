namespace Gregor.Protocol.Records;

/// <summary>
/// Limits and policy for <see cref="RecordBatchValidator"/>. Build one per configuration
/// (e.g. from message.max.bytes) and reuse it; <see cref="ClientProduce"/> and
/// <see cref="StoredLog"/> are the two common profiles.
/// </summary>
public sealed record RecordBatchValidationOptions
{
    public const int DefaultMaxBatchBytes = 64 * 1024 * 1024;
    public const int DefaultMaxDecompressedBytes = 64 * 1024 * 1024;

    /// <summary>Largest accepted batch including its 12-byte log overhead (Kafka's message.max.bytes compares against this size).</summary>
    public int MaxBatchBytes { get; init; } = DefaultMaxBatchBytes;

    /// <summary>Largest records section a compressed batch may decompress to.</summary>
    public int MaxDecompressedBytes { get; init; } = DefaultMaxDecompressedBytes;

    /// <summary>
    /// False: record i must have offset delta i and lastOffsetDelta must be count - 1, with at least
    /// one record (what producers send). True: deltas only need to increase and stay within
    /// lastOffsetDelta, and a batch may be empty (what log compaction leaves behind).
    /// </summary>
    public bool AllowOffsetGaps { get; init; }

    /// <summary>Whether control batches (transaction markers, Raft control records) are accepted.</summary>
    public bool AllowControlBatches { get; init; } = true;

    /// <summary>Whether a non-control batch with a producer id must carry a base sequence (Kafka requires it of clients).</summary>
    public bool RequireSequenceWithProducerId { get; init; }

    /// <summary>
    /// Whether to check each batch's CRC32C. Off only where the same bytes were already checked by this process
    /// (a broker's log appending batches its Produce path validated a moment before): one CRC pass per batch,
    /// as in Kafka, instead of two.
    /// </summary>
    public bool VerifyCrc { get; init; } = true;

    /// <summary>Whether to decompress compressed batches and check their records; the header is always checked.</summary>
    public bool CheckCompressedRecords { get; init; } = true;

    /// <summary>
    /// Whether to parse every record of an uncompressed batch. Off, with <see cref="CheckCompressedRecords"/>
    /// off too, validation is framing, magic, CRC (see <see cref="VerifyCrc"/>) and header consistency only: what
    /// a log checks of batches whose records were checked before they reached it.
    /// </summary>
    public bool CheckUncompressedRecords { get; init; } = true;

    /// <summary>Structure checks only: contiguous offsets, control batches allowed.</summary>
    public static RecordBatchValidationOptions Default { get; } = new();

    /// <summary>What a broker accepts in a Produce request: contiguous offsets, no control batches, sequences with producer ids.</summary>
    public static RecordBatchValidationOptions ClientProduce { get; } = new()
    {
        AllowControlBatches = false,
        RequireSequenceWithProducerId = true,
    };

    /// <summary>What a log may hold (replication, recovery, compaction output): gaps and control batches allowed.</summary>
    public static RecordBatchValidationOptions StoredLog { get; } = new()
    {
        AllowOffsetGaps = true,
        AllowControlBatches = true,
    };
}
