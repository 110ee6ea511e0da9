using Gregor.Protocol.Compression;
using Gregor.Protocol.Records;
using static Gregor.Protocol.Records.RecordBatchError;
using static Gregor.Protocol.Tests.Records.SpecBytes;

namespace Gregor.Protocol.Tests.Records;

/// <summary>
/// Hostile legacy message sets get a validation error, never an exception or an unbounded batch:
/// impossible timestamps, timestamps too far apart for one batch, many small compressed wrappers
/// adding up past the limit, and the pre-0.10 lz4 framing.
/// </summary>
public sealed class LegacyConversionLimitTests
{
    private static RecordBatchValidationResult Convert(byte[] set, RecordBatchValidationOptions? options = null)
    {
        using var builder = new RecordBatchBuilder();
        return LegacyMessageSet.TryConvert(set, builder, options ?? RecordBatchValidationOptions.Default, out _);
    }

    [Fact]
    public void A_v1_timestamp_below_minus_one_is_refused()
    {
        var result = Convert(LegacyMessage(1, 0, 0, -5, [1], [2]));
        Assert.Equal(TimestampOverflow, result.Error);
    }

    [Fact]
    public void Timestamps_too_far_apart_for_one_batch_are_refused()
    {
        byte[] set = [.. LegacyMessage(1, 0, 0, -1, [1], [2]), .. LegacyMessage(1, 1, 0, long.MaxValue, [1], [2])];
        var result = Convert(set);
        Assert.Equal(TimestampOverflow, result.Error);
    }

    [Fact]
    public void Many_compressed_wrappers_cannot_add_up_past_the_limit()
    {
        byte[] inner = LegacyMessage(1, 0, 0, 1000, null, new byte[64 * 1024]);
        using var compressed = new PooledByteBufferWriter();
        CompressionCodec.Compress(CompressionType.Gzip, inner, compressed);
        byte[] wrapper = LegacyMessage(1, 0, (byte)CompressionType.Gzip, 1000, null, compressed.WrittenSpan.ToArray());
        var set = Enumerable.Repeat(wrapper, 40).SelectMany(w => w).ToArray();
        var options = RecordBatchValidationOptions.Default with { MaxDecompressedBytes = 1 << 20 };

        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = Convert(set, options);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(BatchTooLarge, result.Error);
        Assert.True(allocated < 8L << 20, $"{allocated} bytes allocated converting {set.Length} bytes");
    }

    [Fact]
    public void Magic_zero_lz4_is_refused_as_unsupported()
    {
        byte[] inner = LegacyMessage(0, 0, 0, -1, [1], [2]);
        using var compressed = new PooledByteBufferWriter();
        CompressionCodec.Compress(CompressionType.Lz4, inner, compressed);
        byte[] wrapper = LegacyMessage(0, 0, (byte)CompressionType.Lz4, -1, null, compressed.WrittenSpan.ToArray());
        Assert.Equal(UnsupportedCompression, Convert(wrapper).Error);
    }
}
