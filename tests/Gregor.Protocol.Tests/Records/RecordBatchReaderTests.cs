using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

public class RecordBatchReaderTests
{
    [Fact]
    public void Opening_checks_what_reading_depends_on()
    {
        var one = Record(0, 0, null, Utf8("v"));
        Assert.Equal((TruncatedHeader, 0), Open(new byte[60]));
        Assert.Equal((UnsupportedMagic, 16), Open(Batch(one, 1, 0, magic: 1)));
        Assert.Equal((InvalidCompressionCodec, 21), Open(Batch(one, 1, 0, attributes: 6)));
        Assert.Equal((InvalidRecordCount, 57), Open(Batch(one, 2, 1)));
        Assert.Equal((InvalidRecordCount, 57), Open(Batch(one, -1, 0)));
        var batch = Batch(one, 1, 0);
        Assert.Equal((TruncatedBatch, 0), Open(batch[..^1]));
        // Bytes beyond the declared size are not part of the batch.
        Assert.Equal((None, 0), Open([.. batch, 9, 9, 9]));
    }

    private static (RecordBatchError, int) Open(byte[] batch)
    {
        var result = RecordBatchReader.TryOpen(batch, out var reader);
        reader.Dispose();
        return (result.Error, result.Position);
    }

    [Fact]
    public void A_malformed_record_stops_reading_with_its_position()
    {
        var good = Record(0, 0, null, Utf8("fine"));
        var bad = Concat(ZigZag(30), new byte[10]);
        var batch = Batch(Concat(good, bad), 2, 1);

        Assert.True(RecordBatchReader.TryOpen(batch, out var reader).IsValid);
        using (reader)
        {
            Assert.True(reader.TryReadNext(out var first));
            Assert.Equal(Utf8("fine"), first.Value.ToArray());
            Assert.False(reader.TryReadNext(out _));
            Assert.Equal((InvalidRecordLength, 61 + good.Length, 10L, 30L), (reader.Error.Error, reader.Error.Position, reader.Error.Expected, reader.Error.Actual));
            Assert.False(reader.TryReadNext(out _));
        }
    }

    [Fact]
    public void Foreach_over_a_malformed_batch_throws_instead_of_stopping_silently()
    {
        var good = Record(0, 0, null, Utf8("fine"));
        var batch = Batch(Concat(good, good, ZigZag(30), new byte[10]), 3, 2);
        Assert.True(RecordBatchReader.TryOpen(batch, out var reader).IsValid);
        using (reader)
        {
            int seen = 0;
            MalformedMessageException? error = null;
            try
            {
                foreach (var record in reader) seen++;
            }
            catch (MalformedMessageException e)
            {
                error = e;
            }
            Assert.Equal(2, seen);
            Assert.NotNull(error);
            Assert.True(error.Message.Contains("InvalidRecordLength"), error.Message);
            Assert.Contains($"at byte {61 + 2 * good.Length}", error.Message);
        }
    }

    [Fact]
    public void The_header_view_reads_each_field()
    {
        var batch = Batch(Record(0, 0, null, null), 1, 0, baseOffset: 5, partitionLeaderEpoch: 6, attributes: 0x10 | 0x08,
            baseTimestamp: 7, maxTimestamp: 8, producerId: 9, producerEpoch: 10, baseSequence: 11);
        var view = new RecordBatch(batch);
        Assert.Equal(5, view.BaseOffset);
        Assert.Equal(batch.Length - 12, view.BatchLength);
        Assert.Equal(batch.Length, view.TotalSize);
        Assert.Equal(6, view.PartitionLeaderEpoch);
        Assert.Equal(SpecBytes.Crc32C(batch.AsSpan(21)), view.Crc);
        Assert.Equal(TimestampType.LogAppendTime, view.TimestampType);
        Assert.True(view.IsTransactional);
        Assert.False(view.IsControl);
        Assert.Equal(7, view.BaseTimestamp);
        Assert.Equal(8, view.MaxTimestamp);
        Assert.Equal(9, view.ProducerId);
        Assert.Equal(10, view.ProducerEpoch);
        Assert.Equal(11, view.BaseSequence);
        Assert.Equal(11, view.LastSequence);
        Assert.Equal(1, view.RecordsCount);
        Assert.Equal(batch.Length - 61, view.RecordsSection.Length);
        Assert.Throws<ArgumentException>(() => new RecordBatch(new byte[60]));
    }
}
