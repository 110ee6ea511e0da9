using System.Buffers.Binary;
using Gregor.Protocol.Records;

namespace Gregor.Storage.Tests;

/// <summary>The snapshot file's layout (Kafka's ProducerSnapshot v1, and Gregor's section of earlier batches after it) and the reader's checks.</summary>
public sealed class ProducerSnapshotFileTests
{
    [Fact]
    public void The_file_holds_version_crc_count_and_46_byte_entries_in_Kafkas_order()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        long written;
        using (var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), time, producerState: new ProducerStateConfig()))
        {
            log.AppendAsLeader(TestBatches.Simple(4, time.NowMs));
            log.AppendAsLeader(ProducerBatches.Of(0x0102030405060708, 7, 100, 3, time.NowMs));
            written = log.LogEndOffset;
        }
        string path = ProducerSnapshotFile.PathFor(dir.Path, written);
        Assert.Equal("00000000000000000007.snapshot", Path.GetFileName(path));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(10 + 46, bytes.Length);
        Assert.Equal(1, BinaryPrimitives.ReadInt16BigEndian(bytes));
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(6)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(2)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(6)));
        ReadOnlySpan<byte> entry = bytes.AsSpan(10);
        Assert.Equal(0x0102030405060708, BinaryPrimitives.ReadInt64BigEndian(entry));
        Assert.Equal(7, BinaryPrimitives.ReadInt16BigEndian(entry[8..]));
        Assert.Equal(102, BinaryPrimitives.ReadInt32BigEndian(entry[10..]));
        Assert.Equal(6, BinaryPrimitives.ReadInt64BigEndian(entry[14..]));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(entry[22..]));
        Assert.Equal(time.NowMs + 2, BinaryPrimitives.ReadInt64BigEndian(entry[26..]));
        Assert.Equal(-1, BinaryPrimitives.ReadInt32BigEndian(entry[34..]));
        Assert.Equal(-1, BinaryPrimitives.ReadInt64BigEndian(entry[38..]));

        var read = new List<ProducerSnapshotEntry>();
        Assert.True(ProducerSnapshotFile.TryRead(path, read.Add, out _));
        Assert.Equal(new ProducerSnapshotEntry(0x0102030405060708, 7, 102, 6, 2, time.NowMs + 2, -1, -1), Assert.Single(read));
    }

    [Fact]
    public void A_producers_batches_before_its_last_follow_the_entries_oldest_first_under_the_same_crc()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        long written;
        using (var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(), time, producerState: new ProducerStateConfig()))
        {
            log.AppendAsLeader(ProducerBatches.Of(5, 0, 0, 2, time.NowMs));
            log.AppendAsLeader(ProducerBatches.Of(5, 0, 2, 3, time.NowMs));
            log.AppendAsLeader(ProducerBatches.Of(5, 0, 5, 1, time.NowMs));
            log.AppendAsLeader(ProducerBatches.Of(6, 0, 0, 1, time.NowMs));
            written = log.LogEndOffset;
        }
        string path = ProducerSnapshotFile.PathFor(dir.Path, written);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(10 + 2 * 46 + 4 + 2 * 32, bytes.Length);
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(6)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(2)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(10 + 2 * 46)));

        var entries = new List<ProducerSnapshotEntry>();
        var earlier = new List<(long, ProducerBatchMetadata)>();
        Assert.True(ProducerSnapshotFile.TryRead(path, entries.Add, out _, (id, batch) => earlier.Add((id, batch))));
        Assert.Equal([5L, 6L], entries.Select(e => e.ProducerId).Order());
        Assert.Equal([(5L, new ProducerBatchMetadata(1, 1, 1, time.NowMs + 1)), (5L, new ProducerBatchMetadata(4, 4, 2, time.NowMs + 2))], earlier);

        // The section's count must fit the length exactly and the CRC covers it.
        byte[] wrongCount = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32BigEndian(wrongCount.AsSpan(10 + 2 * 46), 3);
        BinaryPrimitives.WriteUInt32BigEndian(wrongCount.AsSpan(2), Crc32C.Compute(wrongCount.AsSpan(6)));
        File.WriteAllBytes(path, wrongCount);
        Assert.False(ProducerSnapshotFile.TryRead(path, _ => { }, out string? problem));
        Assert.Contains("earlier batches", problem, StringComparison.Ordinal);
        byte[] flipped = (byte[])bytes.Clone();
        flipped[^1] ^= 1;
        File.WriteAllBytes(path, flipped);
        Assert.False(ProducerSnapshotFile.TryRead(path, _ => { }, out problem));
        Assert.Contains("CRC", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(2, 1, 1)]
    [InlineData(1, -1, 0)]
    [InlineData(1, int.MaxValue, 0)]
    [InlineData(1, 2, 1)]
    public void Bad_versions_and_counts_that_do_not_fit_the_length_are_refused_before_reading(short version, int count, int entries)
    {
        using var dir = new TempLogDirectory();
        byte[] bytes = new byte[10 + entries * 46];
        BinaryPrimitives.WriteInt16BigEndian(bytes, version);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(6), count);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), Crc32C.Compute(bytes.AsSpan(6)));
        string path = ProducerSnapshotFile.PathFor(dir.Path, 0);
        File.WriteAllBytes(path, bytes);
        int handed = 0;
        Assert.False(ProducerSnapshotFile.TryRead(path, _ => handed++, out string? problem));
        Assert.NotNull(problem);
        Assert.Equal(0, handed);
    }

    [Fact]
    public void Names_parse_only_as_twenty_digits_and_the_extension()
    {
        Assert.True(ProducerSnapshotFile.TryParseName("00000000000000001234.snapshot", out long offset));
        Assert.Equal(1234, offset);
        Assert.False(ProducerSnapshotFile.TryParseName("1234.snapshot", out _));
        Assert.False(ProducerSnapshotFile.TryParseName("00000000000000001234.snapshot.deleted", out _));
        Assert.False(ProducerSnapshotFile.TryParseName("0000000000000000123x.snapshot", out _));
    }
}
