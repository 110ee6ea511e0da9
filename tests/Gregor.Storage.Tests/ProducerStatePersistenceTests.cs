using Gregor.Protocol;

namespace Gregor.Storage.Tests;

/// <summary>
/// Producer state survives what the log survives: snapshots in Kafka's <c>&lt;offset&gt;.snapshot</c> files at rolls
/// and clean close, rebuilt from the latest snapshot plus the log after a restart, an unclean stop or a truncation,
/// and deleted with the segments they belong to.
/// </summary>
public sealed class ProducerStatePersistenceTests
{
    private const long Pid = 77;

    private static LogConfig Config => LogTestConfig.Small(segmentBytes: 1200, indexInterval: 100);

    private static PartitionLog Open(TempLogDirectory dir, ManualTimeProvider time) =>
        PartitionLog.Open(dir.Path, Config, time, producerState: new ProducerStateConfig());

    /// <summary>Sends <paramref name="batches"/> batches of 2 records in sequence from <paramref name="sequence"/>; returns each batch's first offset.</summary>
    private static List<long> Produce(PartitionLog log, ManualTimeProvider time, int batches, int sequence = 0, short epoch = 0, long pid = Pid)
    {
        var offsets = new List<long>();
        for (int batch = 0; batch < batches; batch++)
        {
            LeaderAppendResult result = log.AppendAsLeader(ProducerBatches.Of(pid, epoch, sequence + batch * 2, 2, time.NowMs));
            Assert.Equal((ErrorCode.None, false), (result.Error, result.IsDuplicate));
            offsets.Add(result.Appended.FirstOffset);
        }
        return offsets;
    }

    private static LeaderAppendResult Retry(PartitionLog log, ManualTimeProvider time, int sequence, long pid = Pid) =>
        log.AppendAsLeader(ProducerBatches.Of(pid, 0, sequence, 2, time.NowMs));

    [Fact]
    public void Rolls_and_a_clean_close_write_snapshots_named_as_Kafka_names_them_and_a_restart_reads_no_log()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        long end;
        List<long> offsets;
        string[] expected;
        using (PartitionLog log = Open(dir, time))
        {
            offsets = Produce(log, time, 30);
            Assert.True(log.Segments.Count >= 3);
            expected = [.. log.Segments.Skip(1).Select(s => LogFileNames.OffsetPrefix(s.BaseOffset) + ".snapshot")];
            Assert.Equal(expected, ProducerBatches.SnapshotFiles(dir.Path));
            end = log.LogEndOffset;
        }
        Assert.Equal([.. expected, LogFileNames.OffsetPrefix(end) + ".snapshot"], ProducerBatches.SnapshotFiles(dir.Path));

        using PartitionLog reopened = Open(dir, time);
        Assert.Equal(((short)0, 59, end - 1, 5), ProducerBatches.State(reopened, Pid));
        // The snapshot keeps the last five batches (Kafka's, the last only): a retry of any is answered with its
        // offsets, one older is out of order, and the next batch follows the last.
        for (int batch = 25; batch < 30; batch++)
        {
            LeaderAppendResult retry = Retry(reopened, time, batch * 2);
            Assert.Equal((true, offsets[batch]), (retry.IsDuplicate, retry.Appended.FirstOffset));
        }
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Retry(reopened, time, 48).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Retry(reopened, time, 64).Error);
        Assert.Equal(ErrorCode.None, Retry(reopened, time, 60).Error);
    }

    [Fact]
    public void Repeated_stops_leave_one_snapshot_per_segment_and_only_the_latest_of_the_others()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        int sequence = 0;
        for (int stop = 0; stop < 4; stop++)
        {
            using PartitionLog log = Open(dir, time);
            Produce(log, time, 2, sequence);
            sequence += 4;
        }
        using PartitionLog reopened = Open(dir, time);
        long[] bases = [.. reopened.Segments.Select(s => s.BaseOffset)];
        long end = reopened.LogEndOffset;
        Assert.Equal(
            [.. bases.Where(b => b > 0).Append(end).Select(o => LogFileNames.OffsetPrefix(o) + ".snapshot").Distinct()],
            ProducerBatches.SnapshotFiles(dir.Path));
        Assert.Equal(sequence - 1, ProducerBatches.State(reopened, Pid)!.Value.LastSequence);
    }

    [Fact]
    public void A_log_without_producers_writes_no_snapshot_at_close_and_opens_empty()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using (PartitionLog log = Open(dir, time))
            log.AppendAsLeader(TestBatches.Simple(3, time.NowMs));
        Assert.Empty(ProducerBatches.SnapshotFiles(dir.Path));
        using PartitionLog reopened = Open(dir, time);
        Assert.Equal(0, reopened.ProducerCount);
        Assert.Equal(ErrorCode.None, Retry(reopened, time, 500).Error);
    }

    [Fact]
    public void After_an_unclean_stop_state_is_the_last_snapshot_plus_the_log_after_it()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        List<long> offsets;
        PartitionLog log = Open(dir, time);
        offsets = Produce(log, time, 30);
        long lastSnapshot = log.ActiveSegment.BaseOffset;
        Assert.True(offsets[^1] > lastSnapshot, "some batches follow the last roll's snapshot");
        Produce(log, time, 3, sequence: 60, pid: 5);
        log.Abandon();

        using PartitionLog reopened = Open(dir, time);
        Assert.False(reopened.Recovery.HadCleanShutdown);
        // Every one of the last five batches, from the snapshot and from the log after it, is recognised.
        for (int batch = 25; batch < 30; batch++)
        {
            LeaderAppendResult retry = Retry(reopened, time, batch * 2);
            Assert.Equal((true, offsets[batch]), (retry.IsDuplicate, retry.Appended.FirstOffset));
        }
        Assert.Equal(((short)0, 65, reopened.LogEndOffset - 1, 3), ProducerBatches.State(reopened, 5));
    }

    [Fact]
    public void A_torn_tail_cut_by_recovery_is_not_in_the_state_and_snapshots_above_the_recovered_end_go()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        PartitionLog log = Open(dir, time);
        List<long> offsets = Produce(log, time, 30);
        LogSegment[] segments = [.. log.Segments];
        // Cut the second-to-last segment inside its last batch: recovery drops that batch and every later segment.
        LogSegment victim = segments[^2];
        string victimLog = victim.LogPath;
        long victimEnd = segments[^1].BaseOffset;
        int lostBatch = offsets.IndexOf(offsets.Last(o => o < victimEnd));
        log.Abandon();
        using (var file = new FileStream(victimLog, FileMode.Open))
            file.SetLength(file.Length - 5);
        Assert.Contains(LogFileNames.OffsetPrefix(victimEnd) + ".snapshot", ProducerBatches.SnapshotFiles(dir.Path));

        using PartitionLog reopened = Open(dir, time);
        Assert.Equal(offsets[lostBatch], reopened.LogEndOffset);
        Assert.DoesNotContain(ProducerBatches.SnapshotFiles(dir.Path), name => string.CompareOrdinal(name, LogFileNames.OffsetPrefix(victimEnd)) >= 0);
        Assert.Equal(lostBatch * 2 - 1, ProducerBatches.State(reopened, Pid)!.Value.LastSequence);
        // The lost batch's retry is new data, written again at the end, and the one before it a duplicate.
        LeaderAppendResult resent = Retry(reopened, time, lostBatch * 2);
        Assert.Equal((ErrorCode.None, false, offsets[lostBatch]), (resent.Error, resent.IsDuplicate, resent.Appended.FirstOffset));
        Assert.True(Retry(reopened, time, (lostBatch - 1) * 2).IsDuplicate);
    }

    [Fact]
    public void Truncation_rebuilds_the_state_below_the_offset_and_deletes_later_snapshots()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using PartitionLog log = Open(dir, time);
        List<long> offsets = Produce(log, time, 30);
        Produce(log, time, 1, pid: 9);
        int keep = 17;
        long target = offsets[keep];
        Assert.True(log.Truncate(target));

        Assert.Equal(((short)0, keep * 2 - 1, target - 1), ProducerBatches.State(log, Pid) is var (e, s, o, _) ? (e, s, o) : default);
        Assert.Null(ProducerBatches.State(log, 9));
        Assert.All(log.WithProducerState(state => state.SnapshotOffsets.ToList()), offset => Assert.True(offset <= target));
        Assert.All(ProducerBatches.SnapshotFiles(dir.Path), name => Assert.True(string.CompareOrdinal(name, LogFileNames.OffsetPrefix(target)) <= 0));
        // Batch keep - 1 is a duplicate again; batch keep is written anew at the same offset.
        Assert.True(Retry(log, time, (keep - 1) * 2).IsDuplicate);
        Assert.Equal((false, target), (Retry(log, time, keep * 2) is var r ? (r.IsDuplicate, r.Appended.FirstOffset) : default));
    }

    /// <summary>
    /// A truncation just past a roll rebuilds from the roll's snapshot; the producer's batches before it that it may
    /// still retry (its last five before the cut) must still be recognised as retries. Kafka's snapshot holds only the
    /// last batch, which the replication simulation showed failing (seed 24: a follower truncated a few offsets past a
    /// roll, then led, and refused a committed batch's retry out of order, fatal to the producer).
    /// </summary>
    [Fact]
    public void Truncation_keeps_the_producers_recent_batches_below_it_recognised_as_retries()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using PartitionLog log = Open(dir, time);
        var offsets = new List<long>();
        while (log.Segments.Count < 3)
            offsets.AddRange(Produce(log, time, 1, sequence: offsets.Count * 2));
        int first = offsets.Count - 1;
        Assert.Equal(log.Segments[2].BaseOffset, offsets[first]);
        Assert.Contains(offsets[first], log.WithProducerState(state => state.SnapshotOffsets.ToList()));
        offsets.AddRange(Produce(log, time, 2, sequence: offsets.Count * 2));
        Assert.True(log.Truncate(offsets[first + 2]));

        Assert.Equal(5, log.WithProducerState(state => state.TryGet(Pid, out var entry) ? entry.BatchCount : 0));
        for (int batch = first - 3; batch <= first + 1; batch++)
        {
            LeaderAppendResult retry = Retry(log, time, batch * 2);
            Assert.Equal((ErrorCode.None, true, offsets[batch]), (retry.Error, retry.IsDuplicate, retry.Appended.FirstOffset));
        }
        // Older than the last five below the cut: as in Kafka, out of order.
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Retry(log, time, (first - 4) * 2).Error);
        LeaderAppendResult again = Retry(log, time, (first + 2) * 2);
        Assert.Equal((ErrorCode.None, false, offsets[first + 2]), (again.Error, again.IsDuplicate, again.Appended.FirstOffset));
    }

    [Fact]
    public void Truncating_fully_clears_state_and_snapshots()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using PartitionLog log = Open(dir, time);
        Produce(log, time, 30);
        log.TruncateFullyAndStartAt(5000);
        Assert.Equal(0, log.ProducerCount);
        Assert.Empty(ProducerBatches.SnapshotFiles(dir.Path));
        // The producer is unknown now: any sequence is taken.
        Assert.Equal(ErrorCode.None, Retry(log, time, 1000).Error);
    }

    [Fact]
    public void Snapshots_are_deleted_with_the_segments_retention_and_DeleteRecords_remove()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using PartitionLog log = Open(dir, time);
        List<long> offsets = Produce(log, time, 30);
        log.UpdateHighWatermark(log.LogEndOffset);
        long newFirst = log.Segments[2].BaseOffset;
        log.IncreaseLogStartOffset(newFirst);
        Assert.Equal(newFirst, log.Segments[0].BaseOffset);
        string[] left = ProducerBatches.SnapshotFiles(dir.Path);
        Assert.Equal(LogFileNames.OffsetPrefix(newFirst) + ".snapshot", left[0]);
        Assert.All(left, name => Assert.True(string.CompareOrdinal(name, LogFileNames.OffsetPrefix(newFirst)) >= 0));
        // The producer is still known: its state does not depend on the deleted data.
        Assert.True(Retry(log, time, 58).IsDuplicate);
        log.Close();

        // Stray snapshots below the first segment (a crash between the two deletions) are removed on open.
        ProducerSnapshotFile.Write(ProducerSnapshotFile.PathFor(dir.Path, 1), [], durable: false);
        using PartitionLog reopened = Open(dir, time);
        Assert.DoesNotContain(LogFileNames.OffsetPrefix(1) + ".snapshot", ProducerBatches.SnapshotFiles(dir.Path));
        Assert.True(Retry(reopened, time, 58).IsDuplicate);
        Assert.Equal(offsets[^1], Retry(reopened, time, 58).Appended.FirstOffset);
    }

    [Fact]
    public void A_corrupt_snapshot_is_deleted_and_state_rebuilt_from_an_earlier_one_or_the_log_start()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        List<long> offsets;
        using (PartitionLog log = Open(dir, time))
            offsets = Produce(log, time, 30);
        string[] snapshots = ProducerBatches.SnapshotFiles(dir.Path);
        string latest = dir.File(snapshots[^1]);
        byte[] bytes = File.ReadAllBytes(latest);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(latest, bytes);

        using (PartitionLog reopened = Open(dir, time))
        {
            Assert.DoesNotContain(snapshots[^1], ProducerBatches.SnapshotFiles(dir.Path));
            for (int batch = 25; batch < 30; batch++)
                Assert.Equal((true, offsets[batch]), Retry(reopened, time, batch * 2) is var r ? (r.IsDuplicate, r.Appended.FirstOffset) : default);
            Assert.Contains(reopened.WithProducerState(state => state.Problems), p => p.Contains("CRC", StringComparison.Ordinal));
        }

        // Every snapshot unreadable (one truncated, one of an unknown version, one with a count that does not fit): the log from its start.
        foreach (string name in ProducerBatches.SnapshotFiles(dir.Path))
            File.WriteAllBytes(dir.File(name), [0, 9, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
        using (PartitionLog rebuilt = Open(dir, time))
        {
            for (int batch = 25; batch < 30; batch++)
                Assert.True(Retry(rebuilt, time, batch * 2).IsDuplicate);
            Assert.Equal(((short)0, 59, offsets[^1] + 1, 5), ProducerBatches.State(rebuilt, Pid));
        }
    }
}
