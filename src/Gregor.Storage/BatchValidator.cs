using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>
/// The checks storage makes on its own before a batch reaches disk, and again on recovery: framing (the
/// length fits the bytes given and the header), magic v2, CRC32C, and sane offset deltas. Record-level
/// validation belongs to the records validator that runs before the log.
/// </summary>
public static class BatchValidator
{
    /// <summary>Smallest possible batch: a header with no records.</summary>
    public const int MinBatchSize = RecordBatchHeader.Size;

    /// <summary>
    /// Validates the batch at the start of <paramref name="data"/> and returns its total size. Throws
    /// <see cref="CorruptRecordException"/> for bad framing or CRC and <see cref="InvalidRecordException"/> for
    /// an unsupported magic or inconsistent counts.
    /// </summary>
    public static int Validate(ReadOnlySpan<byte> data, bool requireDenseOffsets)
    {
        string? problem = Check(data, requireDenseOffsets, out int size, out bool corrupt);
        if (problem is null)
            return size;
        if (corrupt)
            throw new CorruptRecordException(problem);
        throw new InvalidRecordException(problem);
    }

    /// <summary>Framing length of the batch at the start of <paramref name="data"/>, or -1 if the header is not whole/plausible.</summary>
    public static int FramedSize(ReadOnlySpan<byte> data)
    {
        if (data.Length < RecordBatchHeader.LogOverhead)
            return -1;
        int batchLength = RecordBatchHeader.BatchLength(data);
        if (batchLength < MinBatchSize - RecordBatchHeader.LogOverhead || batchLength > int.MaxValue - RecordBatchHeader.LogOverhead)
            return -1;
        return batchLength + RecordBatchHeader.LogOverhead;
    }

    /// <summary>Returns null when the batch is valid, else a description; never throws.</summary>
    public static string? Check(ReadOnlySpan<byte> data, bool requireDenseOffsets, out int size, out bool corrupt)
    {
        size = 0;
        corrupt = true;
        if (data.Length < RecordBatchHeader.LogOverhead)
            return $"{data.Length} bytes left, too few for a batch's offset and length";
        int batchLength = RecordBatchHeader.BatchLength(data);
        if (batchLength < MinBatchSize - RecordBatchHeader.LogOverhead)
            return $"batch length {batchLength} is below the minimum {MinBatchSize - RecordBatchHeader.LogOverhead}";
        if ((long)batchLength + RecordBatchHeader.LogOverhead > data.Length)
            return $"batch length {batchLength} runs past the {data.Length - RecordBatchHeader.LogOverhead} bytes that follow it";
        size = batchLength + RecordBatchHeader.LogOverhead;
        ReadOnlySpan<byte> batch = data[..size];
        byte magic = RecordBatchHeader.Magic(batch);
        if (magic != RecordBatchHeader.CurrentMagic)
        {
            corrupt = magic > RecordBatchHeader.CurrentMagic;
            return $"record batch magic {magic} is not supported (only v2)";
        }
        uint stored = RecordBatchHeader.Crc(batch);
        uint computed = RecordBatchHeader.ComputeCrc(batch);
        if (stored != computed)
            return $"batch CRC {stored:x8} does not match its contents ({computed:x8})";
        corrupt = false;
        int lastOffsetDelta = RecordBatchHeader.LastOffsetDelta(batch);
        int count = RecordBatchHeader.RecordsCount(batch);
        if (lastOffsetDelta < 0 || count < 0)
            return $"batch has last offset delta {lastOffsetDelta} and {count} records";
        if (requireDenseOffsets && (count == 0 || lastOffsetDelta != count - 1))
            return $"batch of {count} records has last offset delta {lastOffsetDelta}; expected {count - 1}";
        return null;
    }
}
