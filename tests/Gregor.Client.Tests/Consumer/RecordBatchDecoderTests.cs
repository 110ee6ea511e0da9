using System.Text;
using Gregor.Client.Consumer;
using Gregor.Protocol.Records;
using WireCompression = Gregor.Protocol.Compression.CompressionType;

namespace Gregor.Client.Tests.Consumer;

public sealed class RecordBatchDecoderTests
{
    private static byte[] Batch(long baseOffset, int count, WireCompression codec = WireCompression.None, Action<RecordBatchBuilder>? configure = null)
    {
        using var builder = new RecordBatchBuilder { BaseOffset = baseOffset, Compression = codec, PartitionLeaderEpoch = 3 };
        configure?.Invoke(builder);
        for (int i = 0; i < count; i++)
            builder.Append(1_700_000_000_000 + baseOffset + i, Encoding.UTF8.GetBytes("k" + (baseOffset + i)), Encoding.UTF8.GetBytes("v" + (baseOffset + i)));
        return builder.Build().ToArray();
    }

    private static byte[] AbortMarker(long offset, long producerId)
    {
        using var builder = new RecordBatchBuilder { BaseOffset = offset, IsControl = true, IsTransactional = true, ProducerId = producerId, ProducerEpoch = 0 };
        builder.AppendEndTransactionMarker(1_700_000_000_000, ControlRecordType.Abort, 0);
        return builder.Build().ToArray();
    }

    private static byte[] Transactional(long baseOffset, int count, long producerId) =>
        Batch(baseOffset, count, configure: b => { b.IsTransactional = true; b.ProducerId = producerId; b.ProducerEpoch = 0; b.BaseSequence = 0; });

    /// <summary>Decodes the whole blob as the consume thread does; returns the values delivered and the position reached.</summary>
    private static (List<string> Values, long Position, RecordBatchDecoder Decoder, BatchOutcome Last) DecodeAll(byte[] blob, long from,
        AbortedTransactions? aborted = null, bool checkCrcs = true)
    {
        var decoder = new RecordBatchDecoder(checkCrcs, 1 << 20);
        var values = new List<string>();
        int position = 0;
        long next = from;
        while (true)
        {
            var outcome = decoder.Decode(blob, position, next, aborted);
            if (outcome is BatchOutcome.End or BatchOutcome.Corrupt) return (values, next, decoder, outcome);
            while (decoder.TryTake(out var slot))
            {
                values.Add(Encoding.UTF8.GetString(decoder.Section.Slice(slot.ValueStart, slot.ValueLength)));
                Assert.Equal("k" + slot.Offset, Encoding.UTF8.GetString(decoder.Section.Slice(slot.KeyStart, slot.KeyLength)));
                Assert.Equal(3, decoder.LeaderEpoch);
                next = slot.Offset + 1;
            }
            next = Math.Max(next, decoder.LastOffset + 1);
            position = decoder.NextPosition;
        }
    }

    [Theory]
    [InlineData(WireCompression.None)]
    [InlineData(WireCompression.Gzip)]
    [InlineData(WireCompression.Snappy)]
    [InlineData(WireCompression.Lz4)]
    [InlineData(WireCompression.Zstd)]
    public void Records_before_the_position_in_a_batch_are_skipped_and_a_cut_off_batch_ends_the_data(WireCompression codec)
    {
        byte[] blob = [.. Batch(0, 10, codec), .. Batch(10, 10, codec), .. Batch(20, 10, codec)[..^7]];
        var (values, position, _, last) = DecodeAll(blob, from: 6);
        Assert.Equal(Enumerable.Range(6, 14).Select(i => "v" + i), values);
        Assert.Equal(20, position);
        Assert.Equal(BatchOutcome.End, last);
    }

    [Fact]
    public void Control_batches_are_passed_over_and_the_position_moves_past_them()
    {
        byte[] blob = [.. Transactional(0, 3, 9), .. Batch(3, 0, configure: b => { b.IsControl = true; b.IsTransactional = true; b.ProducerId = 9; b.AppendEndTransactionMarker(1, ControlRecordType.Commit, 0); })];
        var (values, position, _, _) = DecodeAll(blob, 0);
        Assert.Equal(["v0", "v1", "v2"], values);
        Assert.Equal(4, position);
    }

    [Fact]
    public void With_read_committed_the_batches_of_aborted_transactions_are_skipped()
    {
        // Producer 7's transaction from offset 2 aborts at 5; producer 8 commits meanwhile; producer 7 starts again at 6.
        byte[] blob = [.. Batch(0, 2), .. Transactional(2, 2, 7), .. Transactional(4, 1, 8), .. AbortMarker(5, 7), .. Transactional(6, 2, 7)];
        var aborted = new AbortedTransactions([(7L, 2L)]);
        var (values, position, _, _) = DecodeAll(blob, 0, aborted);
        Assert.Equal(["v0", "v1", "v4", "v6", "v7"], values);
        Assert.Equal(8, position);
        Assert.Equal(["v0", "v1", "v2", "v3", "v4", "v6", "v7"], DecodeAll(blob, 0).Values); // read_uncommitted: all but the marker
    }

    [Fact]
    public void A_batch_failing_its_crc_is_reported_unless_crcs_are_not_checked()
    {
        var batch = Batch(0, 5);
        batch[^3] ^= 0x20; // inside the last record's value
        var (values, _, decoder, last) = DecodeAll(batch, 0);
        Assert.Equal(BatchOutcome.Corrupt, last);
        Assert.Empty(values);
        Assert.Equal(ErrorCode.Local_BadMsg, decoder.ErrorCode);
        Assert.Contains("CRC", decoder.ErrorReason, StringComparison.Ordinal);
        Assert.Equal(5, DecodeAll(batch, 0, checkCrcs: false).Values.Count);
    }

    [Fact]
    public void A_batch_that_does_not_decompress_is_reported_as_bad_compression()
    {
        var batch = Batch(0, 50, WireCompression.Zstd);
        for (int i = RecordBatchHeader.Size + 4; i < batch.Length; i++) batch[i] = 0x55;
        var (_, _, decoder, last) = DecodeAll(batch, 0, checkCrcs: false);
        Assert.Equal(BatchOutcome.Corrupt, last);
        Assert.Equal(ErrorCode.Local_BadCompression, decoder.ErrorCode);
    }
}
