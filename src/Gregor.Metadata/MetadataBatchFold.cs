using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Gregor.Raft;

namespace Gregor.Metadata;

/// <summary>
/// Folds one committed batch of the metadata log into an image: every record of a data batch, in order, through
/// <see cref="ImageFold"/>; Raft's control batches (leader changes) change nothing. The one path by which both
/// replay at start and live publication turn the log into images, so they cannot disagree.
/// </summary>
public static class MetadataBatchFold
{
    public static MetadataImage Apply(MetadataImage image, RaftBatch batch, string source)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsControl) return image;
        var opened = RecordBatchReader.TryOpen(batch.Payload.Span, out RecordBatchReader reader);
        if (!opened.IsValid)
            throw new MetadataLogCorruptException($"{source}: batch at offset {batch.BaseOffset} cannot be read: {opened}");
        using (reader)
        {
            foreach (Record record in reader)
            {
                if (record.Value.IsNull)
                    throw new MetadataLogCorruptException($"{source}: record at offset {record.Offset} has no value");
                try
                {
                    image = image.Apply(MetadataRecordCodec.Decode(record.Value.ToArray()!), record.Offset);
                }
                catch (MalformedMessageException e)
                {
                    throw new MetadataLogCorruptException($"{source}: record at offset {record.Offset}: {e.Message}", e);
                }
            }
            if (!reader.Error.IsValid)
                throw new MetadataLogCorruptException($"{source}: records of the batch at offset {batch.BaseOffset} are malformed: {reader.Error}");
        }
        return image;
    }
}
