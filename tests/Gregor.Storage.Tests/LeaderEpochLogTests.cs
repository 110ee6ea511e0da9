using Gregor.Protocol.Records;

namespace Gregor.Storage.Tests;

/// <summary>A log's leader epochs: learnt from appends, cut with the log, persisted, and recovered after crashes.</summary>
public sealed class LeaderEpochLogTests
{
    private static LogConfig Config => LogTestConfig.Small(segmentBytes: 600);

    private static (int, long)[] Epochs(PartitionLog log) => [.. log.LeaderEpochs.Select(e => (e.Epoch, e.StartOffset))];

    private static string CheckpointText(TempLogDirectory dir) => File.ReadAllText(dir.File(LeaderEpochCheckpoint.FileName));

    /// <summary>A batch as a leader wrote it: <paramref name="count"/> records from <paramref name="baseOffset"/>, stamped with the epoch.</summary>
    private static byte[] Replicated(long baseOffset, int epoch, int count = 3)
    {
        byte[] batch = TestBatches.Simple(count, 1_000 + baseOffset);
        RecordBatchHeader.SetBaseOffset(batch, baseOffset);
        RecordBatchHeader.SetPartitionLeaderEpoch(batch, epoch);
        return batch;
    }

    [Fact]
    public void A_leader_append_records_its_epoch_at_the_first_offset_it_writes_and_persists_it()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config, new ManualTimeProvider());
        Assert.Equal(-1, log.LatestEpoch);
        Assert.Equal(EpochEndOffset.Undefined, log.EndOffsetForEpoch(0));
        // A new log starts with an empty list.
        Assert.Equal("0\n0\n", CheckpointText(dir));

        log.Append(TestBatches.Simple(2, 1_000), leaderEpoch: 0);
        log.Append(TestBatches.Simple(3, 1_000), leaderEpoch: 0);
        log.Append(TestBatches.Concat(TestBatches.Simple(4, 1_000), TestBatches.Simple(1, 1_000)), leaderEpoch: 2);
        // Appends with no epoch (not a leader's) leave the epochs alone.
        log.Append(TestBatches.Simple(1, 1_000));

        Assert.Equal([(0, 0L), (2, 5L)], Epochs(log));
        Assert.Equal(2, log.LatestEpoch);
        Assert.Equal("0\n2\n0 0\n2 5\n", CheckpointText(dir));
        Assert.Equal(new EpochEndOffset(0, 5), log.EndOffsetForEpoch(0));
        Assert.Equal(new EpochEndOffset(0, 5), log.EndOffsetForEpoch(1));
        Assert.Equal(new EpochEndOffset(2, 11), log.EndOffsetForEpoch(2));
        Assert.Equal(EpochEndOffset.Undefined, log.EndOffsetForEpoch(3));
        Assert.Equal(0, log.EpochForOffset(4));
        Assert.Equal(2, log.EpochForOffset(5));
    }

    [Fact]
    public void A_new_leader_assigns_its_epoch_at_the_log_end_and_appends_under_it_add_nothing()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config, new ManualTimeProvider());
        log.Append(TestBatches.Simple(4, 1_000), leaderEpoch: 1);

        log.AssignEpochStartOffset(3, log.LogEndOffset);
        log.AssignEpochStartOffset(3, log.LogEndOffset + 5);
        Assert.Equal([(1, 0L), (3, 4L)], Epochs(log));
        Assert.Equal(new EpochEndOffset(3, 4), log.EndOffsetForEpoch(3));

        log.Append(TestBatches.Simple(2, 1_000), leaderEpoch: 3);
        Assert.Equal([(1, 0L), (3, 4L)], Epochs(log));
        Assert.Equal(new EpochEndOffset(3, 6), log.EndOffsetForEpoch(3));
        Assert.Equal("0\n2\n1 0\n3 4\n", CheckpointText(dir));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.AssignEpochStartOffset(-1, 0));
    }

    [Fact]
    public void A_replicated_append_learns_each_batchs_epoch_from_its_header()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config, new ManualTimeProvider());

        log.AppendReplicated(TestBatches.Concat(Replicated(0, 1), Replicated(3, 1), Replicated(6, 2)));
        log.AppendReplicated(Replicated(9, 2));
        // A gap (a compacted leader) and two epochs in one fetch.
        log.AppendReplicated(TestBatches.Concat(Replicated(20, 5), Replicated(23, 7)));

        Assert.Equal([(1, 0L), (2, 6L), (5, 20L), (7, 23L)], Epochs(log));
        Assert.Equal(new EpochEndOffset(5, 23), log.EndOffsetForEpoch(6));
        Assert.Equal(new EpochEndOffset(7, 26), log.EndOffsetForEpoch(7));

        // A rejected append changes nothing.
        Assert.Throws<UnexpectedAppendOffsetException>(() => log.AppendReplicated(TestBatches.Concat(Replicated(26, 9), Replicated(26, 9))));
        Assert.Equal(7, log.LatestEpoch);
        Assert.Equal("0\n4\n1 0\n2 6\n5 20\n7 23\n", CheckpointText(dir));
    }

    [Fact]
    public void Truncation_drops_the_epochs_of_the_removed_offsets_and_a_full_truncation_clears_them()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config, new ManualTimeProvider());
        log.AppendReplicated(TestBatches.Concat(Replicated(0, 1), Replicated(3, 2), Replicated(6, 4)));
        log.AssignEpochStartOffset(6, log.LogEndOffset);

        // Truncating at the end keeps the data but drops a leader's epoch that wrote nothing (Kafka does the same).
        Assert.False(log.Truncate(log.LogEndOffset));
        Assert.Equal([(1, 0L), (2, 3L), (4, 6L)], Epochs(log));

        // A batch straddling the offset goes whole, and so does the epoch that started with it.
        Assert.True(log.Truncate(7));
        Assert.Equal(6, log.LogEndOffset);
        Assert.Equal([(1, 0L), (2, 3L)], Epochs(log));
        Assert.Equal("0\n2\n1 0\n2 3\n", CheckpointText(dir));
        Assert.Equal(new EpochEndOffset(2, 6), log.EndOffsetForEpoch(2));

        log.TruncateFullyAndStartAt(50);
        Assert.Empty(log.LeaderEpochs);
        Assert.Equal(-1, log.LatestEpoch);
        Assert.Equal("0\n0\n", CheckpointText(dir));
    }

    [Fact]
    public void When_the_log_start_moves_the_epoch_covering_it_starts_there()
    {
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, Config, new ManualTimeProvider());
        for (int epoch = 1; epoch <= 4; epoch++)
        {
            for (int i = 0; i < 5; i++)
                log.Append(TestBatches.Simple(3, 1_000, valueBytes: 40), leaderEpoch: epoch);
        }
        Assert.Equal([(1, 0L), (2, 15L), (3, 30L), (4, 45L)], Epochs(log));
        log.UpdateHighWatermark(log.LogEndOffset);

        // DeleteRecords inside epoch 2's range.
        log.IncreaseLogStartOffset(20);
        Assert.Equal(20, log.LogStartOffset);
        Assert.Equal([(2, 20L), (3, 30L), (4, 45L)], Epochs(log));
        Assert.Equal(new EpochEndOffset(1, 20), log.EndOffsetForEpoch(1));

        // Retention deleting every segment: the log starts at its end, still under the latest epoch.
        log.UpdateConfig(Config with { RetentionBytes = 0 });
        log.ApplyRetention();
        Assert.Equal(60, log.LogStartOffset);
        Assert.Equal([(4, 60L)], Epochs(log));
        Assert.Equal("0\n1\n4 60\n", CheckpointText(dir));
    }

    [Fact]
    public void Epochs_survive_a_restart()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using (var log = PartitionLog.Open(dir.Path, Config, time))
        {
            log.Append(TestBatches.Simple(3, 1_000), leaderEpoch: 2);
            log.AppendReplicated(Replicated(3, 5));
        }
        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.True(reopened.Recovery.HadCleanShutdown);
        Assert.Equal([(2, 0L), (5, 3L)], Epochs(reopened));
        Assert.Equal(new EpochEndOffset(5, 6), reopened.EndOffsetForEpoch(5));
    }

    [Fact]
    public void After_a_crash_epochs_beyond_the_recovered_end_are_dropped()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        var log = PartitionLog.Open(dir.Path, Config, time);
        log.AppendReplicated(TestBatches.Concat(Replicated(0, 1), Replicated(3, 2)));
        log.AppendReplicated(Replicated(6, 3));
        string active = log.ActiveSegment.LogPath;
        log.Abandon();
        // The last batch (the only one of epoch 3) was not on disk: the page cache lost it.
        long lastBatch = TestBatches.Headers(File.ReadAllBytes(active))[^1].Position;
        using (var file = new FileStream(active, FileMode.Open))
            file.SetLength(lastBatch + 10);

        using var recovered = PartitionLog.Open(dir.Path, Config, time);
        Assert.False(recovered.Recovery.HadCleanShutdown);
        Assert.Equal(6, recovered.LogEndOffset);
        Assert.Equal([(1, 0L), (2, 3L)], Epochs(recovered));
        Assert.Equal("0\n2\n1 0\n2 3\n", CheckpointText(dir));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("0\n7\n1 0\n")]
    [InlineData("garbage")]
    [InlineData("0\n2\n5 0\n2 3\n")]
    public void A_missing_or_corrupt_checkpoint_is_rebuilt_from_the_batch_headers(string damage)
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using (var log = PartitionLog.Open(dir.Path, Config, time))
        {
            for (int epoch = 0; epoch < 3; epoch++)
            {
                for (int i = 0; i < 10; i++)
                    log.Append(TestBatches.Simple(2, 1_000, valueBytes: 40), leaderEpoch: epoch * 2);
            }
            Assert.True(log.Segments.Count > 3);
        }
        if (damage == "missing")
            File.Delete(dir.File(LeaderEpochCheckpoint.FileName));
        else
            File.WriteAllText(dir.File(LeaderEpochCheckpoint.FileName), damage);

        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.Equal([(0, 0L), (2, 20L), (4, 40L)], Epochs(reopened));
        Assert.Equal("0\n3\n0 0\n2 20\n4 40\n", CheckpointText(dir));
        if (damage == "missing")
            Assert.DoesNotContain(reopened.Recovery.Problems, p => p.Contains(LeaderEpochCheckpoint.FileName, StringComparison.Ordinal));
        else
            Assert.Contains(reopened.Recovery.Problems, p => p.Contains("rebuilding the leader epochs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_leftover_temporary_checkpoint_is_removed_on_open()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using (var log = PartitionLog.Open(dir.Path, Config, time))
            log.Append(TestBatches.Simple(2, 1_000), leaderEpoch: 1);
        File.WriteAllText(dir.File(LeaderEpochCheckpoint.TemporaryName), "0\n1\n9 9\n");
        using var reopened = PartitionLog.Open(dir.Path, Config, time);
        Assert.DoesNotContain(LeaderEpochCheckpoint.TemporaryName, dir.FileNames());
        Assert.Equal([(1, 0L)], Epochs(reopened));
    }
}
