using Gregor.Protocol.Primitives;
using static Gregor.Protocol.Records.RecordBatchError;

namespace Gregor.Protocol.Records;

/// <summary>
/// Parses one v2 record and checks that every length inside it stays within the record and
/// that its fields fill the record exactly. Shared by the validator and the reader, so what
/// validates is exactly what reads.
/// </summary>
internal static class RecordParser
{
    /// <summary>Smallest encoded record: length, attributes, two deltas, key and value lengths, header count — one byte each.</summary>
    public const int MinimumRecordSize = 7;

    /// <summary>Smallest encoded header: an empty key and a null or empty value.</summary>
    private const int MinimumHeaderSize = 2;

    /// <summary>
    /// Parses the record at <paramref name="position"/> of <paramref name="section"/> and, on success,
    /// moves the position past it. Error positions are relative to <paramref name="section"/>.
    /// </summary>
    public static RecordBatchValidationResult TryParse(ReadOnlySpan<byte> section, scoped ref int position, scoped in RecordContext context, out Record record)
    {
        record = default;
        int start = position;
        var rest = section[start..];

        int prefix = Varint.TryReadZigZag32(rest, out int length);
        if (prefix < 0) return new(MalformedVarint, start, Varint.MaxBytes32);
        if (prefix == 0) return new(InvalidRecordLength, start, rest.Length, -1);
        if (length < 0 || length > rest.Length - prefix) return new(InvalidRecordLength, start, rest.Length - prefix, length);

        int bodyStart = start + prefix;
        var body = rest.Slice(prefix, length);
        int p = 0;

        if (body.Length < 1) return new(RecordSizeMismatch, bodyStart, length, length + 1);
        byte attributes = body[p++];

        int n = Varint.TryReadZigZag64(body[p..], out long timestampDelta);
        if (n <= 0) return VarintFailure(n, bodyStart + p, length, Varint.MaxBytes64);
        p += n;

        n = Varint.TryReadZigZag32(body[p..], out int offsetDelta);
        if (n <= 0) return VarintFailure(n, bodyStart + p, length, Varint.MaxBytes32);
        p += n;

        var failure = ReadNullableBytes(body, ref p, bodyStart, length, InvalidKeyLength, out var key);
        if (!failure.IsValid) return failure;

        failure = ReadNullableBytes(body, ref p, bodyStart, length, InvalidValueLength, out var value);
        if (!failure.IsValid) return failure;

        int countAt = p;
        n = Varint.TryReadZigZag32(body[p..], out int headerCount);
        if (n <= 0) return VarintFailure(n, bodyStart + p, length, Varint.MaxBytes32);
        p += n;
        if (headerCount < 0 || headerCount > (body.Length - p) / MinimumHeaderSize)
            return new(InvalidHeaderCount, bodyStart + countAt, body.Length - p, headerCount);

        int headersStart = p;
        for (int i = 0; i < headerCount; i++)
        {
            int keyAt = p;
            n = Varint.TryReadZigZag32(body[p..], out int keyLength);
            if (n <= 0) return VarintFailure(n, bodyStart + p, length, Varint.MaxBytes32);
            p += n;
            if (keyLength < 0 || keyLength > body.Length - p)
                return new(InvalidHeaderKeyLength, bodyStart + keyAt, body.Length - p, keyLength);
            p += keyLength;

            failure = ReadNullableBytes(body, ref p, bodyStart, length, InvalidHeaderValueLength, out _);
            if (!failure.IsValid) return failure;
        }

        if (p != body.Length) return new(RecordSizeMismatch, start, length, p);

        position = bodyStart + length;
        record = new Record(section[start..position], attributes, timestampDelta, offsetDelta, key, value,
            new RecordHeaders(headerCount, body[headersStart..]), context);
        return default;
    }

    private static RecordBatchValidationResult ReadNullableBytes(ReadOnlySpan<byte> body, scoped ref int p, int bodyStart, int length,
        RecordBatchError lengthError, out NullableBytes bytes)
    {
        bytes = NullableBytes.Null;
        int at = p;
        int n = Varint.TryReadZigZag32(body[p..], out int size);
        if (n <= 0) return VarintFailure(n, bodyStart + p, length, Varint.MaxBytes32);
        p += n;
        if (size < -1 || size > body.Length - p) return new(lengthError, bodyStart + at, body.Length - p, size);
        if (size >= 0)
        {
            bytes = body.Slice(p, size);
            p += size;
        }
        return default;
    }

    /// <summary>A varint that is too long, or one the end of the record cuts off (the record length was too short).</summary>
    private static RecordBatchValidationResult VarintFailure(int status, int position, int length, int maxBytes) =>
        status < 0 ? new(MalformedVarint, position, maxBytes) : new(RecordSizeMismatch, position, length, length + 1);
}
