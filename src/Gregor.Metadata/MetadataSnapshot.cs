using System.Collections.Immutable;
using System.Buffers;
using Gregor.Metadata.Records;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Gregor.Raft;
using H = Gregor.Protocol.Records.RecordBatchHeader;

namespace Gregor.Metadata;

/// <summary>
/// A metadata snapshot's bytes in Kafka's layout (KIP-630): v2 record batches with offsets counting from 0 and
/// the snapshot's epoch in the partition-leader-epoch field; first a control batch holding one SnapshotHeaderRecord
/// (control type 3), then data batches of metadata records (<see cref="ImageRecords"/>, each record's value in the
/// log's own form, <see cref="MetadataRecordCodec"/>), last a control batch holding one SnapshotFooterRecord (type 4).
/// The reader checks all of it (framing, CRCs, contiguous offsets, header first, footer last, nothing after it)
/// and folds the records; anything else is a <see cref="MetadataLogCorruptException"/> naming the file.
/// </summary>
public static class MetadataSnapshot
{
    /// <summary>Data batches are cut before they pass this size (a single larger record gets a batch of its own).</summary>
    public const int DefaultMaxBatchBytes = 1024 * 1024;

    private const short ControlRecordVersion = 0;

    // A record's framing inside a batch (length, attributes, timestamp and offset deltas, null key, value length,
    // header count as varints) is at most this much on top of its value.
    private const int RecordOverhead = 32;

    private static readonly RecordBatchValidationOptions Checks = new()
    {
        MaxBatchBytes = FileRaftLog.MaxBatchBytes,
        AllowControlBatches = true,
    };

    /// <summary>The snapshot of <paramref name="image"/> whose last covered batch was appended in <paramref name="epoch"/>.</summary>
    public static byte[] Write(MetadataImage image, int epoch, long lastContainedLogTimestamp, int maxBatchBytes = DefaultMaxBatchBytes)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchBytes, 1024);
        var output = new ArrayBufferWriter<byte>(4096);
        using var builder = new RecordBatchBuilder(Math.Min(maxBatchBytes, 64 * 1024));
        long offset = 0;

        void Flush()
        {
            builder.BaseOffset = offset;
            builder.PartitionLeaderEpoch = epoch;
            output.Write(builder.Build().Span);
            offset += builder.Count;
            builder.Reset();
        }

        builder.IsControl = true;
        builder.AppendControlRecord(lastContainedLogTimestamp, ControlRecordType.SnapshotHeader, HeaderValue(lastContainedLogTimestamp));
        Flush();

        builder.IsControl = false;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            foreach (var record in ImageRecords.Of(image))
            {
                int size = MetadataRecordCodec.Size(record);
                if (scratch.Length < size)
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                    scratch = ArrayPool<byte>.Shared.Rent(size);
                }
                MetadataRecordCodec.Write(record, scratch.AsSpan(0, size));
                if (builder.Count > 0 && builder.UncompressedSize + size + RecordOverhead > maxBatchBytes)
                    Flush();
                builder.Append(lastContainedLogTimestamp, NullableBytes.Null, scratch.AsSpan(0, size));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
        if (builder.Count > 0) Flush();

        builder.IsControl = true;
        builder.AppendControlRecord(lastContainedLogTimestamp, ControlRecordType.SnapshotFooter, FooterValue());
        Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>What a snapshot held: the image it folds to, how many data batches and records it had, and its header's timestamp.</summary>
    public sealed record Contents(MetadataImage Image, int DataBatches, long Records, long LastContainedLogTimestamp);

    /// <summary>
    /// Checks the snapshot <paramref name="bytes"/> (read from <paramref name="source"/>) and folds its records onto
    /// <paramref name="empty"/>; the image's offset is then the last one the snapshot covers, <paramref name="endOffset"/> − 1.
    /// </summary>
    public static Contents Read(ReadOnlySpan<byte> bytes, MetadataImage empty, long endOffset, string source)
    {
        ArgumentNullException.ThrowIfNull(empty);
        MetadataImage image = empty;
        var batches = new RecordBatchEnumerator(bytes, FileRaftLog.MaxBatchBytes);
        long nextOffset = 0;
        int index = 0;
        int dataBatches = 0;
        long records = 0;
        long? timestamp = null;
        bool footer = false;
        while (batches.MoveNext())
        {
            ReadOnlySpan<byte> batch = batches.Current;
            int position = batches.CurrentPosition;
            string where = $"{source}: batch {index} (byte {position})";
            if (footer)
                throw new MetadataLogCorruptException($"{where} follows the snapshot footer");
            var valid = RecordBatchValidator.Validate(batch, Checks);
            if (!valid.IsValid)
                throw new MetadataLogCorruptException($"{where} is damaged: {valid}");
            bool control = (H.Attributes(batch) & RecordBatchAttributes.Control) != 0;
            if (index == 0 && !control)
                throw new MetadataLogCorruptException($"{where}: a snapshot starts with a control batch holding its header");
            if (H.BaseOffset(batch) != nextOffset)
                throw new MetadataLogCorruptException($"{where} starts at offset {H.BaseOffset(batch)}, expected {nextOffset}");
            var opened = RecordBatchReader.TryOpen(batch, out RecordBatchReader reader);
            if (!opened.IsValid)
                throw new MetadataLogCorruptException($"{where} cannot be read: {opened}");
            using (reader)
            {
                int inBatch = 0;
                foreach (Record record in reader)
                {
                    if (control)
                    {
                        if (!ControlRecord.TryReadKey(record.Key.Span, out _, out ControlRecordType type))
                            throw new MetadataLogCorruptException($"{where}: control record {inBatch} has no readable key");
                        bool first = index == 0 && inBatch == 0;
                        switch (type)
                        {
                            case ControlRecordType.SnapshotHeader when first:
                                timestamp = ReadHeader(record.Value, where);
                                break;
                            case ControlRecordType.SnapshotFooter when index > 0 && inBatch == 0 && reader.Count == 1:
                                ReadFooter(record.Value, where);
                                footer = true;
                                break;
                            // Kafka may put the kraft.version and the voter set in a snapshot's first batch; they say nothing of the image.
                            case ControlRecordType.KRaftVersion or ControlRecordType.KRaftVoters when !first:
                                break;
                            default:
                                throw new MetadataLogCorruptException($"{where}: control record {inBatch} of type {type} is out of place in a snapshot");
                        }
                    }
                    else
                    {
                        if (record.Value.IsNull)
                            throw new MetadataLogCorruptException($"{where}: record at offset {record.Offset} has no value");
                        try
                        {
                            image = image.Apply(MetadataRecordCodec.Decode(record.Value.ToArray()!), record.Offset);
                        }
                        catch (MalformedMessageException e)
                        {
                            throw new MetadataLogCorruptException($"{where}: record at offset {record.Offset}: {e.Message}", e);
                        }
                        catch (MetadataLogCorruptException e)
                        {
                            throw new MetadataLogCorruptException($"{where}: record at offset {record.Offset}: {e.Message}", e);
                        }
                        records++;
                    }
                    inBatch++;
                }
            }
            if (!control) dataBatches++;
            nextOffset = H.LastOffset(batch) + 1;
            index++;
        }
        if (!batches.Error.IsValid)
            throw new MetadataLogCorruptException($"{source}: batch {index} (byte {bytes.Length - batches.RemainingBytes}) is cut short or malformed: {batches.Error}");
        if (index == 0)
            throw new MetadataLogCorruptException($"{source}: the snapshot is empty (no header)");
        if (!footer)
            throw new MetadataLogCorruptException($"{source}: the snapshot has no footer (truncated?)");
        // A broker's registration offset is not in any record: after a snapshot it is the snapshot's (Kafka's rule).
        var brokers = image.Brokers.ToImmutableDictionary(b => b.Key, b => b.Value with { RegistrationOffset = endOffset - 1 });
        return new Contents(image with { Offset = endOffset - 1, Brokers = brokers }, dataBatches, records, timestamp ?? -1);
    }

    private static byte[] HeaderValue(long lastContainedLogTimestamp)
    {
        var header = new SnapshotHeaderRecord { Version = ControlRecordVersion, LastContainedLogTimestamp = lastContainedLogTimestamp };
        var bytes = new byte[header.Size(ControlRecordVersion)];
        var writer = new ProtocolWriter(bytes);
        header.Write(ref writer, ControlRecordVersion);
        return bytes;
    }

    private static byte[] FooterValue()
    {
        var footer = new SnapshotFooterRecord { Version = ControlRecordVersion };
        var bytes = new byte[footer.Size(ControlRecordVersion)];
        var writer = new ProtocolWriter(bytes);
        footer.Write(ref writer, ControlRecordVersion);
        return bytes;
    }

    private static long ReadHeader(NullableBytes value, string where)
    {
        if (value.IsNull) throw new MetadataLogCorruptException($"{where}: the snapshot header has no value");
        try
        {
            var reader = new ProtocolReader(value.ToArray()!);
            return SnapshotHeaderRecord.Read(ref reader, ControlRecordVersion).LastContainedLogTimestamp;
        }
        catch (MalformedMessageException e)
        {
            throw new MetadataLogCorruptException($"{where}: the snapshot header is malformed: {e.Message}", e);
        }
    }

    private static void ReadFooter(NullableBytes value, string where)
    {
        if (value.IsNull) throw new MetadataLogCorruptException($"{where}: the snapshot footer has no value");
        try
        {
            var reader = new ProtocolReader(value.ToArray()!);
            SnapshotFooterRecord.Read(ref reader, ControlRecordVersion);
        }
        catch (MalformedMessageException e)
        {
            throw new MetadataLogCorruptException($"{where}: the snapshot footer is malformed: {e.Message}", e);
        }
    }
}
