using static Gregor.Protocol.Records.RecordBatchError;
using H = Gregor.Protocol.Records.RecordBatchHeader;

namespace Gregor.Protocol.Records;

/// <summary>
/// Checks that bytes are well-formed v2 record batches before a broker appends them or a
/// reader trusts them: framing, magic, CRC32C, header consistency and every record's structure.
/// Returns the first defect found (checks run in that order, so a flipped byte under the CRC is
/// reported as a CRC mismatch); never throws on bad input, and allocates nothing for a valid
/// uncompressed batch.
/// </summary>
public static class RecordBatchValidator
{
    public static RecordBatchValidationResult Validate(ReadOnlySpan<byte> batch, RecordBatchValidationOptions options) =>
        Validate(batch, options, out _);

    /// <summary>Validates <paramref name="batch"/> as exactly one v2 batch (no bytes before or after it).</summary>
    public static RecordBatchValidationResult Validate(ReadOnlySpan<byte> batch, RecordBatchValidationOptions options, out RecordBatchInfo info)
    {
        info = default;
        var framing = RecordBatchFraming.TryFrame(batch, options.MaxBatchBytes, out int size, out byte magic);
        if (!framing.IsValid) return framing;
        if (magic != H.CurrentMagic) return new(UnsupportedMagic, H.MagicOffset, H.CurrentMagic, magic);
        if (size != batch.Length) return new(TrailingBytes, size, size, batch.Length - size);
        return ValidateFramed(batch, options, out info);
    }

    /// <summary>
    /// Validates every batch of a records blob (e.g. a Produce request's records); positions in the
    /// result are relative to the blob. An empty blob is valid with no batches: callers that need
    /// exactly one batch check <paramref name="batchCount"/>.
    /// </summary>
    public static RecordBatchValidationResult ValidateAll(ReadOnlySpan<byte> records, RecordBatchValidationOptions options,
        out int batchCount, out long recordCount)
    {
        batchCount = 0;
        recordCount = 0;
        var batches = new RecordBatchEnumerator(records, options.MaxBatchBytes);
        while (batches.MoveNext())
        {
            if (batches.CurrentMagic != H.CurrentMagic)
                return new(UnsupportedMagic, batches.CurrentPosition + H.MagicOffset, H.CurrentMagic, batches.CurrentMagic);
            var result = ValidateFramed(batches.Current, options, out var info);
            if (!result.IsValid) return result.ShiftedBy(batches.CurrentPosition);
            batchCount++;
            recordCount += info.RecordCount;
        }
        return batches.Error;
    }

    /// <summary>Everything after framing: <paramref name="batch"/> is exactly one v2 batch's declared size.</summary>
    private static RecordBatchValidationResult ValidateFramed(ReadOnlySpan<byte> batch, RecordBatchValidationOptions options, out RecordBatchInfo info)
    {
        info = default;
        var header = new RecordBatch(batch);

        if (options.VerifyCrc)
        {
            uint storedCrc = header.Crc;
            uint computedCrc = Crc32C.Compute(batch[H.CrcCoveredStart..]);
            if (storedCrc != computedCrc) return new(CrcMismatch, H.CrcOffset, storedCrc, computedCrc);
        }

        var headerCheck = CheckHeader(header, options);
        if (!headerCheck.IsValid) return headerCheck;

        int count = header.RecordsCount;
        var section = batch[H.Size..];
        byte codec = (byte)header.Compression;
        var summary = new RecordsSummary(header.MaxTimestamp, header.LastOffsetDelta);

        if (codec == 0 && options.CheckUncompressedRecords)
        {
            var result = CheckRecords(section, count, header, options, ref summary).ShiftedBy(H.Size);
            if (!result.IsValid) return result;
        }
        else if (codec != 0 && options.CheckCompressedRecords)
        {
            using var decompressed = new PooledByteBufferWriter(RecordsSectionCompression.InitialCapacity(section.Length, options.MaxDecompressedBytes));
            var result = RecordsSectionCompression.TryDecompress(codec, section, options.MaxDecompressedBytes, decompressed, H.AttributesOffset, H.Size);
            if (!result.IsValid) return result;
            result = CheckRecords(decompressed.WrittenSpan, count, header, options, ref summary);
            if (!result.IsValid) return result.InDecompressedData(H.Size);
        }

        info = new RecordBatchInfo
        {
            TotalSize = batch.Length,
            BaseOffset = header.BaseOffset,
            LastOffsetDelta = header.LastOffsetDelta,
            RecordCount = count,
            Compression = header.Compression,
            TimestampType = header.TimestampType,
            IsTransactional = header.IsTransactional,
            IsControl = header.IsControl,
            ProducerId = header.ProducerId,
            ProducerEpoch = header.ProducerEpoch,
            BaseSequence = header.BaseSequence,
            MaxTimestamp = summary.MaxTimestamp,
            OffsetDeltaOfMaxTimestamp = summary.OffsetDeltaOfMaxTimestamp,
            RecordsChecked = summary.RecordsChecked,
            ControlType = summary.ControlType,
        };
        return default;
    }

    /// <summary>Header fields that must agree with each other and with the policy in <paramref name="options"/>.</summary>
    private static RecordBatchValidationResult CheckHeader(RecordBatch header, RecordBatchValidationOptions options)
    {
        byte codec = (byte)header.Compression;
        if (codec > RecordsSectionCompression.MaxCodecId) return new(InvalidCompressionCodec, H.AttributesOffset, RecordsSectionCompression.MaxCodecId, codec);

        if (header.IsControl && !options.AllowControlBatches) return new(ControlBatchNotAllowed, H.AttributesOffset);

        long producerId = header.ProducerId;
        if (header.IsTransactional && producerId < 0) return new(TransactionalWithoutProducerId, H.ProducerIdOffset, 0, producerId);
        if (producerId >= 0 && header.ProducerEpoch < 0) return new(InvalidProducerEpoch, H.ProducerEpochOffset, producerId, header.ProducerEpoch);
        if (options.RequireSequenceWithProducerId && producerId >= 0 && !header.IsControl && header.BaseSequence < 0)
            return new(InvalidBaseSequence, H.BaseSequenceOffset, producerId, header.BaseSequence);

        int count = header.RecordsCount;
        int sectionLength = header.Bytes.Length - H.Size;
        // A compressed section can hold more records than bytes; the decompressed size bounds those later.
        int fitting = codec == 0 ? sectionLength / RecordParser.MinimumRecordSize : int.MaxValue;
        if (count < 0 || count > fitting || (count == 0 && !options.AllowOffsetGaps))
            return new(InvalidRecordCount, H.RecordsCountOffset, fitting, count);

        int lastOffsetDelta = header.LastOffsetDelta;
        bool rangeFits = options.AllowOffsetGaps
            ? lastOffsetDelta >= 0 && lastOffsetDelta >= count - 1
            : lastOffsetDelta == count - 1;
        if (!rangeFits) return new(InvalidOffsetRange, H.LastOffsetDeltaOffset, count, lastOffsetDelta);

        if (header.IsControl && header.IsTransactional && count != 1)
            return new(InvalidControlRecord, H.RecordsCountOffset, 1, count);

        return default;
    }

    /// <summary>Parses every record of an uncompressed records section; positions relative to the section.</summary>
    private static RecordBatchValidationResult CheckRecords(ReadOnlySpan<byte> section, int count, RecordBatch header,
        RecordBatchValidationOptions options, ref RecordsSummary summary)
    {
        if (count > section.Length / RecordParser.MinimumRecordSize)
            return new(RecordCountMismatch, section.Length, count, section.Length / RecordParser.MinimumRecordSize);

        long baseTimestamp = header.BaseTimestamp;
        int lastOffsetDelta = header.LastOffsetDelta;
        bool isControl = header.IsControl;
        bool isTransactional = header.IsTransactional;
        bool createTime = header.TimestampType == TimestampType.CreateTime;
        var context = new RecordContext(header.BaseOffset, baseTimestamp, header.MaxTimestamp, header.TimestampType);

        long maxTimestamp = long.MinValue;
        int offsetDeltaOfMax = lastOffsetDelta;
        int previousDelta = -1;
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            if (position == section.Length) return new(RecordCountMismatch, position, count, i);

            int start = position;
            var parsed = RecordParser.TryParse(section, ref position, context, out var record);
            if (!parsed.IsValid) return parsed;

            int delta = record.OffsetDelta;
            bool deltaFits = options.AllowOffsetGaps
                ? delta > previousDelta && delta <= lastOffsetDelta
                : delta == i;
            if (!deltaFits) return new(InvalidOffsetDelta, start, options.AllowOffsetGaps ? -1 : i, delta);
            previousDelta = delta;

            long timestamp = baseTimestamp + record.TimestampDelta;
            if (((baseTimestamp ^ timestamp) & (record.TimestampDelta ^ timestamp)) < 0)
                return new(TimestampOverflow, start, baseTimestamp, record.TimestampDelta);
            if (timestamp > maxTimestamp)
            {
                maxTimestamp = timestamp;
                offsetDeltaOfMax = delta;
            }

            if (isControl)
            {
                var control = CheckControlRecord(record, isTransactional, start, out var type);
                if (!control.IsValid) return control;
                if (i == 0) summary.ControlType = type;
            }
        }

        if (position != section.Length) return new(TrailingRecordBytes, position, count, section.Length - position);

        summary.RecordsChecked = true;
        if (createTime && count > 0)
        {
            summary.MaxTimestamp = maxTimestamp;
            summary.OffsetDeltaOfMaxTimestamp = offsetDeltaOfMax;
        }
        return default;
    }

    private static RecordBatchValidationResult CheckControlRecord(in Record record, bool isTransactional, int position, out ControlRecordType type)
    {
        type = default;
        if (record.Key.Length < ControlRecord.KeySize)
            return new(InvalidControlRecord, position, ControlRecord.KeySize, record.Key.WireLength);
        if (!ControlRecord.TryReadKey(record.Key.Span, out short version, out type))
            return new(InvalidControlRecord, position, 0, version);
        if (!isTransactional) return default;

        // Transaction markers: only abort and commit, with a coordinator epoch in the value.
        if (!ControlRecord.IsTransactionMarker(type))
            return new(InvalidControlRecord, position, (long)ControlRecordType.Commit, (long)type);
        if (record.Value.Length < ControlRecord.EndTransactionMarkerValueSize)
            return new(InvalidControlRecord, position, ControlRecord.EndTransactionMarkerValueSize, record.Value.WireLength);
        if (!ControlRecord.TryReadEndTransactionMarkerValue(record.Value.Span, out short valueVersion, out _))
            return new(InvalidControlRecord, position, 0, valueVersion);
        return default;
    }

    /// <summary>What the record walk hands back to the batch summary; starts from the header's values.</summary>
    private struct RecordsSummary(long maxTimestamp, int offsetDeltaOfMaxTimestamp)
    {
        public long MaxTimestamp = maxTimestamp;
        public int OffsetDeltaOfMaxTimestamp = offsetDeltaOfMaxTimestamp;
        public bool RecordsChecked;
        public ControlRecordType? ControlType;
    }
}
