using Gregor.Protocol.Records;
using H = Gregor.Protocol.Records.RecordBatchHeader;

namespace Gregor.Metadata.Tests;

/// <summary>The image as records, and the snapshot file made of them.</summary>
public sealed class MetadataSnapshotTests
{
    [Fact]
    public void An_image_folds_back_from_its_records()
    {
        var image = ImageDescription.RichImage();
        Assert.Equal(3, image.Brokers.Count);
        Assert.Equal(2, image.BrokerConfigs.Count);
        Assert.Contains(image.TopicsByName.Values, t => t.Partitions.Any(p => p.Leader == -1));

        var rebuilt = MetadataImage.Empty(image.ClusterId, image.ControllerId).ApplyAll(ImageRecords.Of(image), image.Offset);

        Assert.Equal(ImageDescription.Describe(image), ImageDescription.Describe(rebuilt));
        Assert.Equal(ImageDescription.Describe(MetadataImage.Empty("c", 1), withOffset: false),
            ImageDescription.Describe(MetadataImage.Empty("c", 1).ApplyAll(ImageRecords.Of(MetadataImage.Empty("c", 1)), -1), withOffset: false));
    }

    [Fact]
    public void A_snapshot_is_a_header_batch_bounded_data_batches_and_a_footer_and_reads_back_to_the_image()
    {
        var image = ImageDescription.RichImage();
        const int maxBatch = 2048;
        byte[] bytes = MetadataSnapshot.Write(image, epoch: 4, lastContainedLogTimestamp: 1_700_000_000_123, maxBatchBytes: maxBatch);

        var batches = Batches(bytes);
        Assert.True(batches.Count > 4, $"{batches.Count} batches");
        long next = 0;
        foreach (var (start, length) in batches)
        {
            var batch = bytes.AsSpan(start, length);
            Assert.Equal(next, H.BaseOffset(batch));
            Assert.Equal(4, H.PartitionLeaderEpoch(batch));
            next = H.LastOffset(batch) + 1;
        }
        Assert.Equal(ControlRecordType.SnapshotHeader, OnlyControlType(bytes.AsSpan(batches[0].Start, batches[0].Length)));
        Assert.Equal(ControlRecordType.SnapshotFooter, OnlyControlType(bytes.AsSpan(batches[^1].Start, batches[^1].Length)));
        foreach (var (start, length) in batches.Skip(1).SkipLast(1))
        {
            Assert.Equal((RecordBatchAttributes)0, H.Attributes(bytes.AsSpan(start, length)) & RecordBatchAttributes.Control);
            Assert.True(length <= maxBatch, $"a data batch of {length} bytes");
        }

        var contents = MetadataSnapshot.Read(bytes, MetadataImage.Empty(image.ClusterId, image.ControllerId), endOffset: 500, "test");
        Assert.Equal(ImageDescription.Describe(image, withOffset: false), ImageDescription.Describe(contents.Image, withOffset: false));
        Assert.Equal(499, contents.Image.Offset);
        Assert.Equal(1_700_000_000_123, contents.LastContainedLogTimestamp);
        Assert.Equal(batches.Count - 2, contents.DataBatches);
        Assert.Equal(ImageRecords.Of(image).Count(), contents.Records);
    }

    [Fact]
    public void A_snapshot_keeps_each_brokers_lifecycle_state_and_listeners()
    {
        var fenced = new BrokerRegistration(2, "h2", 9092, "r1")
        {
            IncarnationId = new Gregor.Protocol.Primitives.KafkaUuid(5, 6),
            Epoch = 40,
            Fenced = true,
            InControlledShutdown = false,
            Listeners = [new BrokerListener("PLAINTEXT", "h2", 9092, 0), new BrokerListener("SSL", "h2", 9093, 1)],
        };
        var leaving = new BrokerRegistration(3, "h3", 9092, null) { Epoch = 41, InControlledShutdown = true, Listeners = [new BrokerListener("PLAINTEXT", "h3", 9092, 0)] };
        var image = MetadataImage.Empty("c", 1) with { Offset = 99, Brokers = MetadataImage.Empty("c", 1).Brokers.Add(2, fenced).Add(3, leaving) };
        var read = MetadataSnapshot.Read(MetadataSnapshot.Write(image, 3, 0), MetadataImage.Empty("c", 1), endOffset: 100, "test").Image;
        var two = read.Brokers[2];
        Assert.Equal((fenced.IncarnationId, 40L, true, false, 99L), (two.IncarnationId, two.Epoch, two.Fenced, two.InControlledShutdown, two.RegistrationOffset));
        Assert.Equal(fenced.Listeners.ToArray(), two.Listeners.ToArray());
        Assert.True(read.Brokers[3].InControlledShutdown);
        Assert.False(read.Brokers[3].Fenced);
    }

    [Fact]
    public void A_damaged_snapshot_is_refused_with_what_is_wrong()
    {
        var image = ImageDescription.RichImage();
        byte[] bytes = MetadataSnapshot.Write(image, 2, 5, maxBatchBytes: 4096);
        var batches = Batches(bytes);
        var empty = MetadataImage.Empty(image.ClusterId, image.ControllerId);
        string Refused(byte[] damaged) => Assert.Throws<MetadataLogCorruptException>(() => MetadataSnapshot.Read(damaged, empty, 10, "/x/snap.checkpoint")).Message;

        byte[] flipped = (byte[])bytes.Clone();
        flipped[batches[1].Start + batches[1].Length / 2] ^= 0x40;
        Assert.Contains("/x/snap.checkpoint: batch 1", Refused(flipped), StringComparison.Ordinal);
        Assert.Contains("Crc", Refused(flipped), StringComparison.OrdinalIgnoreCase);

        Assert.Contains("cut short", Refused(bytes[..(bytes.Length - 7)]), StringComparison.Ordinal);
        Assert.Contains("no footer", Refused(bytes[..batches[^1].Start]), StringComparison.Ordinal);
        Assert.Contains("starts with a control batch", Refused(bytes[batches[1].Start..]), StringComparison.Ordinal);
        Assert.Contains("empty", Refused([]), StringComparison.Ordinal);
        Assert.Contains("follows the snapshot footer", Refused([.. bytes, .. bytes.AsSpan(batches[^1].Start, batches[^1].Length)]), StringComparison.Ordinal);
        // Two data batches swapped: the offsets no longer follow on.
        byte[] swapped = [.. bytes.AsSpan(0, batches[1].Start), .. bytes.AsSpan(batches[2].Start, batches[2].Length),
            .. bytes.AsSpan(batches[1].Start, batches[1].Length), .. bytes.AsSpan(batches[3].Start)];
        Assert.Contains("expected", Refused(swapped), StringComparison.Ordinal);
    }

    private static List<(int Start, int Length)> Batches(byte[] bytes)
    {
        var list = new List<(int, int)>();
        for (int position = 0; position < bytes.Length; position += H.TotalSize(bytes.AsSpan(position)))
            list.Add((position, H.TotalSize(bytes.AsSpan(position))));
        return list;
    }

    private static ControlRecordType OnlyControlType(ReadOnlySpan<byte> batch)
    {
        Assert.NotEqual((RecordBatchAttributes)0, H.Attributes(batch) & RecordBatchAttributes.Control);
        Assert.True(RecordBatchReader.TryOpen(batch, out var reader).IsValid);
        using (reader)
        {
            Assert.Equal(1, reader.Count);
            Assert.True(reader.TryReadNext(out var record));
            Assert.True(ControlRecord.TryReadKey(record.Key.Span, out _, out var type));
            return type;
        }
    }
}
