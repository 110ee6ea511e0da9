using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

public class RecordBatchEnumeratorTests
{
    private static byte[] BatchOf(int records, long baseOffset)
    {
        using var builder = new RecordBatchBuilder { BaseOffset = baseOffset };
        for (int i = 0; i < records; i++) builder.Append(i, null, Utf8($"value {i}"));
        return builder.Build().ToArray();
    }

    [Fact]
    public void Gives_each_batch_with_its_position()
    {
        var a = BatchOf(1, 0);
        var b = BatchOf(5, 1);
        var legacy = LegacyMessage(1, 6, 0, 3, null, Utf8("old"));
        var c = BatchOf(2, 7);
        var blob = Concat(a, b, legacy, c);

        int seen = 0;
        foreach (var batch in new RecordBatchEnumerator(blob)) seen++;
        Assert.Equal(4, seen);

        var positions = new List<(int Position, int Length, byte Magic)>();
        var batches = new RecordBatchEnumerator(blob);
        while (batches.MoveNext())
        {
            positions.Add((batches.CurrentPosition, batches.Current.Length, batches.CurrentMagic));
            Assert.True(batches.Current.SequenceEqual(blob.AsSpan(batches.CurrentPosition, batches.Current.Length)));
        }
        Assert.Equal(
            [(0, a.Length, (byte)2), (a.Length, b.Length, (byte)2), (a.Length + b.Length, legacy.Length, (byte)1), (a.Length + b.Length + legacy.Length, c.Length, (byte)2)],
            positions);
        Assert.True(batches.Error.IsValid);
        Assert.Equal(0, batches.RemainingBytes);
        Assert.False(batches.EndsWithPartialBatch);
    }

    [Fact]
    public void A_partial_batch_at_the_end_stops_enumeration_and_says_so()
    {
        var a = BatchOf(3, 0);
        var b = BatchOf(3, 3);
        var blob = Concat(a, b[..40]);
        var batches = new RecordBatchEnumerator(blob);
        Assert.True(batches.MoveNext());
        Assert.False(batches.MoveNext());
        Assert.Equal(TruncatedBatch, batches.Error.Error);
        Assert.Equal(a.Length, batches.Error.Position);
        Assert.Equal(b.Length, batches.Error.Expected);
        Assert.Equal(40, batches.Error.Actual);
        Assert.True(batches.EndsWithPartialBatch);
        Assert.Equal(40, batches.RemainingBytes);
        Assert.False(batches.MoveNext());

        var tiny = new RecordBatchEnumerator(Concat(a, b[..5]));
        Assert.True(tiny.MoveNext());
        Assert.False(tiny.MoveNext());
        Assert.Equal((TruncatedHeader, a.Length), (tiny.Error.Error, tiny.Error.Position));
    }

    [Fact]
    public void A_length_over_the_limit_stops_before_reading_the_batch()
    {
        var a = BatchOf(3, 0);
        var b = BatchOf(30, 3);
        var batches = new RecordBatchEnumerator(Concat(a, b), maxBatchBytes: a.Length);
        Assert.True(batches.MoveNext());
        Assert.False(batches.MoveNext());
        Assert.Equal((BatchTooLarge, a.Length + 8, (long)a.Length, (long)b.Length),
            (batches.Error.Error, batches.Error.Position, batches.Error.Expected, batches.Error.Actual));
        Assert.False(batches.EndsWithPartialBatch);
    }

    [Fact]
    public void Unknown_magic_stops_enumeration()
    {
        var a = BatchOf(1, 0);
        var b = BatchOf(1, 1);
        b[16] = 7;
        var batches = new RecordBatchEnumerator(Concat(a, b));
        Assert.True(batches.MoveNext());
        Assert.False(batches.MoveNext());
        Assert.Equal((UnsupportedMagic, a.Length + 16, 2L, 7L), (batches.Error.Error, batches.Error.Position, batches.Error.Expected, batches.Error.Actual));
    }

    [Fact]
    public void An_empty_blob_has_no_batches_and_no_error()
    {
        var batches = new RecordBatchEnumerator([]);
        Assert.False(batches.MoveNext());
        Assert.True(batches.Error.IsValid);
    }
}
