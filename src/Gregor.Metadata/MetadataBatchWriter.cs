using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;

namespace Gregor.Metadata;

/// <summary>An operation's metadata records as one v2 record batch (one record per metadata record), the unit the log commits.</summary>
internal static class MetadataBatchWriter
{
    public static byte[] Build(IReadOnlyList<IMetadataRecord> records, long timestampMs, int maxBatchBytes)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) throw new ArgumentException("an operation appends at least one record", nameof(records));
        using var builder = new RecordBatchBuilder(4096);
        foreach (var record in records)
            builder.Append(timestampMs, NullableBytes.Null, MetadataRecordCodec.Encode(record));
        ReadOnlyMemory<byte> built = builder.Build();
        if (built.Length > maxBatchBytes)
            throw new MetadataOperationTooLargeException($"the operation's {records.Count} records take {built.Length} bytes, more than {maxBatchBytes}");
        return built.ToArray();
    }
}
