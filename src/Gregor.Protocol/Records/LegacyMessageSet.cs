using System.Buffers.Binary;
using Gregor.Protocol.Compression;
using static Gregor.Protocol.Records.RecordBatchError;

namespace Gregor.Protocol.Records;

/// <summary>
/// Reads v0/v1 message sets (what clients before Kafka 0.11 send) and converts them into one
/// v2 batch, as a broker does before storing them. Each message carries a CRC32 (IEEE) over
/// magic..value; a compressed message is a wrapper whose value is a compressed inner message set.
/// </summary>
public static class LegacyMessageSet
{
    private const int CrcOffset = 12;
    private const int MagicOffset = RecordBatchFraming.MagicOffset;
    private const int AttributesOffset = 17;
    private const int TimestampOffset = 18;
    private const byte LegacyMaxCodecId = (byte)CompressionType.Lz4; // zstd came with v2
    private const byte TimestampTypeBit = 0x08;
    private const long NoTimestamp = -1;

    /// <summary>
    /// Validates <paramref name="messageSet"/> and appends each message (inner messages of
    /// compressed wrappers in order) to <paramref name="builder"/>, which must be empty; the caller
    /// sets the batch fields (compression, timestamp type) and builds. v0 messages get no timestamp (-1).
    /// On failure the builder holds a partial batch and should be reset. Positions are relative
    /// to <paramref name="messageSet"/>.
    /// </summary>
    public static RecordBatchValidationResult TryConvert(ReadOnlySpan<byte> messageSet, RecordBatchBuilder builder,
        RecordBatchValidationOptions options, out LegacyConversionInfo info)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (builder.Count != 0) throw new ArgumentException("the builder must be empty", nameof(builder));
        info = default;
        if (messageSet.IsEmpty) return new(EmptyMessageSet, 0);

        PooledByteBufferWriter? inner = null;
        try
        {
            var summary = new LegacyConversionInfo { SourceMagic = 0xFF };
            var messages = new RecordBatchEnumerator(messageSet, options.MaxBatchBytes);
            while (messages.MoveNext())
            {
                int at = messages.CurrentPosition;
                var result = ConvertMessage(messages.Current, messages.CurrentMagic, builder, options, ref inner, ref summary);
                if (!result.IsValid) return result.ShiftedBy(at);
            }
            if (!messages.Error.IsValid) return messages.Error;
            info = summary;
            return default;
        }
        finally
        {
            inner?.Dispose();
        }
    }

    private static RecordBatchValidationResult ConvertMessage(ReadOnlySpan<byte> message, byte magic, RecordBatchBuilder builder,
        RecordBatchValidationOptions options, ref PooledByteBufferWriter? inner, ref LegacyConversionInfo summary)
    {
        if (magic > 1) return new(UnsupportedMagic, MagicOffset, 1, magic);
        var parsed = TryParse(message, magic, out var wrapper);
        if (!parsed.IsValid) return parsed;

        summary = summary with
        {
            SourceMagic = Math.Min(summary.SourceMagic, magic),
            SourceTimestampType = wrapper.IsLogAppendTime ? TimestampType.LogAppendTime : summary.SourceTimestampType,
        };

        byte codec = wrapper.CompressionCodecId;
        if (codec == 0)
        {
            var appended = TryAppend(builder, wrapper.Timestamp, wrapper.Key, wrapper.Value, options, TimestampOffset);
            if (!appended.IsValid) return appended;
            summary = summary with { MessageCount = summary.MessageCount + 1 };
            return default;
        }

        if (codec > LegacyMaxCodecId) return new(InvalidCompressionCodec, AttributesOffset, LegacyMaxCodecId, codec);
        // Magic-0 clients wrote lz4 frames with a header checksum over the wrong bytes (KAFKA-3160),
        // which liblz4 rightly refuses; such clients predate Kafka 0.10, so say so rather than guess.
        if (magic == 0 && codec == (byte)CompressionType.Lz4) return new(UnsupportedCompression, AttributesOffset, 0, codec);
        if (wrapper.Value.IsNull) return new(MissingWrapperValue, wrapper.ValuePosition);
        summary = summary with { SourceCompression = (CompressionType)codec };

        inner ??= new PooledByteBufferWriter(RecordsSectionCompression.InitialCapacity(wrapper.Value.Length, options.MaxDecompressedBytes));
        inner.Clear();
        int valueStart = wrapper.ValuePosition + sizeof(int);
        var decompressed = RecordsSectionCompression.TryDecompress(codec, wrapper.Value.Span, options.MaxDecompressedBytes, inner,
            AttributesOffset, valueStart);
        if (!decompressed.IsValid) return decompressed;

        int innerCount = 0;
        var innerMessages = new RecordBatchEnumerator(inner.WrittenSpan, int.MaxValue);
        while (innerMessages.MoveNext())
        {
            int innerAt = innerMessages.CurrentPosition;
            if (innerMessages.CurrentMagic != magic)
                return new RecordBatchValidationResult(InnerMagicMismatch, innerAt + MagicOffset, magic, innerMessages.CurrentMagic).InDecompressedData(valueStart);
            var innerParsed = TryParse(innerMessages.Current, magic, out var innerMessage);
            if (!innerParsed.IsValid) return innerParsed.ShiftedBy(innerAt).InDecompressedData(valueStart);
            if (innerMessage.CompressionCodecId != 0)
                return new RecordBatchValidationResult(NestedCompression, innerAt + AttributesOffset, 0, innerMessage.CompressionCodecId).InDecompressedData(valueStart);

            // A log-append-time wrapper's timestamp stands for all of its inner messages.
            long timestamp = wrapper.IsLogAppendTime ? wrapper.Timestamp : innerMessage.Timestamp;
            var appended = TryAppend(builder, timestamp, innerMessage.Key, innerMessage.Value, options, innerAt + TimestampOffset);
            if (!appended.IsValid) return appended.InDecompressedData(valueStart);
            innerCount++;
        }
        if (!innerMessages.Error.IsValid) return innerMessages.Error.InDecompressedData(valueStart);
        if (innerCount == 0) return new(EmptyMessageSet, valueStart);

        summary = summary with { MessageCount = summary.MessageCount + innerCount };
        return default;
    }

    /// <summary>
    /// Appends one converted message unless its timestamp cannot share the batch's base timestamp
    /// or the batch would outgrow what one batch may hold: many small compressed wrappers must not
    /// add up to an unbounded conversion.
    /// </summary>
    private static RecordBatchValidationResult TryAppend(RecordBatchBuilder builder, long timestamp, NullableBytes key, NullableBytes value,
        RecordBatchValidationOptions options, int timestampPosition)
    {
        long baseTimestamp = builder.Count == 0 ? timestamp : builder.BaseTimestamp ?? timestamp;
        long delta = timestamp - baseTimestamp;
        if (((timestamp ^ baseTimestamp) & (timestamp ^ delta)) < 0)
            return new(TimestampOverflow, timestampPosition, baseTimestamp, timestamp);
        long grown = (long)builder.UncompressedSize + key.Length + value.Length + RecordBatchHeader.Size;
        if (grown > options.MaxDecompressedBytes || grown > options.MaxBatchBytes)
            return new(BatchTooLarge, 0, Math.Min(options.MaxDecompressedBytes, options.MaxBatchBytes), grown);
        builder.Append(timestamp, key, value);
        return default;
    }

    /// <summary>Parses one framed v0/v1 message (exactly its declared size) and checks its CRC and field lengths.</summary>
    private static RecordBatchValidationResult TryParse(ReadOnlySpan<byte> message, byte magic, out LegacyMessage parsed)
    {
        parsed = default;
        uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(message[CrcOffset..]);
        uint computedCrc = Crc32Ieee.Compute(message[MagicOffset..]);
        if (storedCrc != computedCrc) return new(CrcMismatch, CrcOffset, storedCrc, computedCrc);

        byte attributes = message[AttributesOffset];
        int p = AttributesOffset + 1;
        long timestamp = NoTimestamp;
        if (magic == 1)
        {
            timestamp = BinaryPrimitives.ReadInt64BigEndian(message[p..]);
            if (timestamp < NoTimestamp) return new(TimestampOverflow, TimestampOffset, NoTimestamp, timestamp);
            p += sizeof(long);
        }

        var result = ReadBytes(message, ref p, InvalidKeyLength, out var key, out _);
        if (!result.IsValid) return result;
        result = ReadBytes(message, ref p, InvalidValueLength, out var value, out int valuePosition);
        if (!result.IsValid) return result;
        if (p != message.Length) return new(RecordSizeMismatch, RecordBatchHeader.BatchLengthOffset, message.Length - RecordBatchFraming.LogOverhead, p - RecordBatchFraming.LogOverhead);

        parsed = new LegacyMessage(attributes, magic == 1 && (attributes & TimestampTypeBit) != 0, timestamp, key, value, valuePosition);
        return default;
    }

    private static RecordBatchValidationResult ReadBytes(ReadOnlySpan<byte> message, scoped ref int p, RecordBatchError lengthError,
        out NullableBytes bytes, out int lengthPosition)
    {
        bytes = NullableBytes.Null;
        lengthPosition = p;
        if (message.Length - p < sizeof(int)) return new(RecordSizeMismatch, p, message.Length - RecordBatchFraming.LogOverhead, p + sizeof(int) - RecordBatchFraming.LogOverhead);
        int length = BinaryPrimitives.ReadInt32BigEndian(message[p..]);
        p += sizeof(int);
        if (length < -1 || length > message.Length - p) return new(lengthError, lengthPosition, message.Length - p, length);
        if (length >= 0)
        {
            bytes = message.Slice(p, length);
            p += length;
        }
        return default;
    }

    private readonly ref struct LegacyMessage(byte attributes, bool isLogAppendTime, long timestamp, NullableBytes key, NullableBytes value, int valuePosition)
    {
        public byte CompressionCodecId { get; } = (byte)(attributes & 0x07);
        public bool IsLogAppendTime { get; } = isLogAppendTime;
        public long Timestamp { get; } = timestamp;
        public NullableBytes Key { get; } = key;
        public NullableBytes Value { get; } = value;

        /// <summary>Where the value's length field is in the message.</summary>
        public int ValuePosition { get; } = valuePosition;
    }
}

/// <summary>What a legacy message set held, for choosing the converted batch's settings.</summary>
public readonly record struct LegacyConversionInfo
{
    public int MessageCount { get; init; }

    /// <summary>The lowest magic among the messages (0 or 1).</summary>
    public byte SourceMagic { get; init; }

    /// <summary>Codec of the (last) compressed wrapper, None when no message was compressed: what topic compression "producer" keeps.</summary>
    public CompressionType SourceCompression { get; init; }

    /// <summary>LogAppendTime when a v1 message said so.</summary>
    public TimestampType SourceTimestampType { get; init; }
}
