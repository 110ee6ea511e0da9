using Gregor.Protocol.Records;

namespace Gregor.Raft.Tests;

/// <summary>The metadata log on disk behind <see cref="IRaftLog"/>: batches, epochs, truncation, snapshots, reopening.</summary>
public sealed class FileRaftLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gregor-raft-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A v2 batch of <paramref name="records"/> records whose values are the given byte.</summary>
    internal static byte[] Batch(int records, byte value, bool control = false)
    {
        using var builder = new RecordBatchBuilder();
        builder.IsControl = control;
        for (int i = 0; i < records; i++)
        {
            if (control) builder.AppendControlRecord(0, ControlRecordType.LeaderChange, NullableBytes.Of([value]));
            else builder.Append(0, NullableBytes.Null, NullableBytes.Of([value]));
        }
        return builder.Build().ToArray();
    }

    private static RaftBatch At(long offset, int epoch, int records, byte value, bool control = false) =>
        new(offset, epoch, records, control, Batch(records, value, control));

    [Fact]
    public void KeepsBatchesWithTheirOffsetsAndEpochsAcrossReopening()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            log.Append(At(0, 1, 1, 0, control: true));
            log.Append(At(1, 1, 3, 1));
            log.Append(At(4, 3, 2, 2));
            Assert.Equal(6, log.EndOffset);
            Assert.Equal(3, log.LastEpoch);
            log.Flush();
            Assert.Equal(6, log.FlushedEndOffset);
        }
        using (var log = FileRaftLog.Open(_dir))
        {
            Assert.Equal(6, log.EndOffset);
            Assert.Equal(3, log.LastEpoch);
            Assert.Equal(new OffsetAndEpoch(4, 1), log.EndOffsetForEpoch(1));
            Assert.Equal(new OffsetAndEpoch(4, 1), log.EndOffsetForEpoch(2));
            Assert.Equal(new OffsetAndEpoch(6, 3), log.EndOffsetForEpoch(7));
            Assert.Equal(new OffsetAndEpoch(0, -1), log.EndOffsetForEpoch(0));
            var batches = log.Read(1, 1 << 20);
            Assert.Equal([1L, 4L], batches.Select(b => b.BaseOffset));
            Assert.Equal([1, 3], batches.Select(b => b.Epoch));
            Assert.Equal([3, 2], batches.Select(b => b.RecordCount));
            Assert.True(log.Read(0, 1)[0].IsControl);
        }
    }

    [Fact]
    public void TruncationRemovesWholeBatchesAndTheirEpochs()
    {
        using var log = FileRaftLog.Open(_dir);
        log.Append(At(0, 1, 2, 1));
        log.Append(At(2, 2, 2, 2));
        log.Append(At(4, 2, 2, 3));
        log.TruncateTo(3); // inside the batch at 2: it goes whole
        Assert.Equal(2, log.EndOffset);
        Assert.Equal(1, log.LastEpoch);
        log.Append(At(2, 4, 1, 9));
        Assert.Equal(new OffsetAndEpoch(2, 1), log.EndOffsetForEpoch(3));
    }

    [Fact]
    public void RefusesAPayloadThatIsNotTheBatchItClaims()
    {
        using var log = FileRaftLog.Open(_dir);
        Assert.Throws<ArgumentException>(() => log.Append(new RaftBatch(0, 1, 2, false, Batch(1, 1))));
        Assert.Throws<ArgumentException>(() => log.Append(new RaftBatch(0, 1, 1, true, Batch(1, 1))));
        Assert.Throws<ArgumentException>(() => log.Append(new RaftBatch(0, 1, 1, false, new byte[] { 1, 2, 3 })));
        Assert.Equal(0, log.EndOffset);
    }

    [Fact]
    public void ASnapshotTrimsTheLogAndSurvivesReopening()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            for (int i = 0; i < 10; i++) log.Append(At(i * 2, 1 + i / 5, 2, (byte)i));
            log.Flush();
            log.CreateSnapshot(new SnapshotId(10, 1), new byte[] { 42, 43 });
            Assert.Equal(10, log.StartOffset);
            Assert.Equal(new SnapshotId(10, 1), log.LatestSnapshot);
            Assert.Equal(2, log.SnapshotSize(new SnapshotId(10, 1)));
            Assert.Equal(new byte[] { 43 }, log.ReadSnapshot(new SnapshotId(10, 1), 1, 10).ToArray());
            Assert.Equal(new OffsetAndEpoch(10, 1), log.EndOffsetForEpoch(1));
        }
        using (var log = FileRaftLog.Open(_dir))
        {
            Assert.Equal(10, log.StartOffset);
            Assert.Equal(20, log.EndOffset);
            Assert.Equal(new SnapshotId(10, 1), log.LatestSnapshot);
            Assert.Equal(10, log.Read(10, 1 << 20)[0].BaseOffset);
        }
    }

    [Fact]
    public void AnInstalledSnapshotReplacesTheWholeLog()
    {
        using (var log = FileRaftLog.Open(_dir))
        {
            log.Append(At(0, 1, 2, 1));
            log.InstallSnapshot(new SnapshotId(50, 4), new byte[] { 1, 2, 3 });
            Assert.Equal(50, log.StartOffset);
            Assert.Equal(50, log.EndOffset);
            Assert.Equal(4, log.LastEpoch);
            log.Append(At(50, 5, 1, 7));
            log.Flush();
        }
        using (var log = FileRaftLog.Open(_dir))
        {
            Assert.Equal(50, log.StartOffset);
            Assert.Equal(51, log.EndOffset);
            Assert.Equal(5, log.LastEpoch);
        }
    }

    [Fact]
    public void AQuorumOfOneOnDiskResumesInANewEpochWithItsCommittedBatches()
    {
        long now = 0;
        using (var log = FileRaftLog.Open(_dir))
        {
            var node = new RaftNode(1, [1], new RaftSettings(), log, new FileQuorumStateStore(_dir), new Random(1), now,
                (leader, voters) => Batch(1, (byte)leader, control: true));
            Assert.Equal(RaftRole.Leader, node.Role);
            Assert.Equal(1, node.Propose(++now, Batch(1, 5), 1));
            node.Tick(++now);
            Assert.Equal(2, node.HighWatermark);
        }
        using (var log = FileRaftLog.Open(_dir))
        {
            var node = new RaftNode(1, [1], new RaftSettings(), log, new FileQuorumStateStore(_dir), new Random(1), now,
                (leader, voters) => Batch(1, (byte)leader, control: true));
            Assert.Equal(RaftRole.Leader, node.Role);
            Assert.Equal(2, node.Epoch);
            node.Tick(++now);
            var committed = node.ReadCommitted(0, 1 << 20);
            Assert.Equal([0L, 1L, 2L], committed.Select(b => b.BaseOffset));
            Assert.Equal([1, 1, 2], committed.Select(b => b.Epoch));
        }
    }
}
