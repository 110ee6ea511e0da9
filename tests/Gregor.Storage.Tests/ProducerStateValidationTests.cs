using Gregor.Protocol;

namespace Gregor.Storage.Tests;

/// <summary>The leader path's producer checks (Kafka's ProducerAppendInfo rules), through PartitionLog.AppendAsLeader.</summary>
public sealed class ProducerStateValidationTests
{
    private const long Pid = 42;

    private static (TempLogDirectory Dir, ManualTimeProvider Time, PartitionLog Log) Open(ProducerStateConfig? config = null)
    {
        var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        return (dir, time, PartitionLog.Open(dir.Path, LogTestConfig.Small(), time, producerState: config ?? new ProducerStateConfig()));
    }

    private static LeaderAppendResult Send(PartitionLog log, ManualTimeProvider time, short epoch, int sequence, int count, long pid = Pid) =>
        log.AppendAsLeader(ProducerBatches.Of(pid, epoch, sequence, count, time.NowMs), leaderEpoch: 3);

    [Fact]
    public void A_producer_in_sequence_appends_and_its_state_follows_the_batches()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            LeaderAppendResult first = Send(log, time, 0, 0, 3);
            LeaderAppendResult second = Send(log, time, 0, 3, 2);
            Assert.Equal((ErrorCode.None, false, 0L, 2L), (first.Error, first.IsDuplicate, first.Appended.FirstOffset, first.Appended.LastOffset));
            Assert.Equal((ErrorCode.None, 3L, 4L), (second.Error, second.Appended.FirstOffset, second.Appended.LastOffset));
            Assert.Equal(((short)0, 4, 4L, 2), ProducerBatches.State(log, Pid));
        }
    }

    [Fact]
    public void An_unknown_producer_may_start_at_any_sequence()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            Assert.Equal(ErrorCode.None, Send(log, time, 5, 1234, 2).Error);
            Assert.Equal(((short)5, 1235, 1L, 1), ProducerBatches.State(log, Pid));
        }
    }

    [Fact]
    public void A_gap_in_sequence_is_out_of_order_and_writes_nothing()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            Send(log, time, 0, 0, 3);
            LeaderAppendResult gap = Send(log, time, 0, 9, 1);
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Error);
            Assert.NotNull(gap.ErrorMessage);
            Assert.Equal(3, log.LogEndOffset);
            // An older sequence that is not one of the retained batches is out of order too.
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Send(log, time, 0, 1, 1).Error);
            Assert.Equal(3, log.LogEndOffset);
        }
    }

    [Fact]
    public void A_retry_of_any_of_the_last_five_batches_is_answered_with_its_original_offsets()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            var firstOffsets = new List<long>();
            for (int batch = 0; batch < 6; batch++)
                firstOffsets.Add(Send(log, time, 0, batch * 2, 2).Appended.FirstOffset);
            long end = log.LogEndOffset;
            for (int batch = 1; batch < 6; batch++)
            {
                LeaderAppendResult retry = Send(log, time, 0, batch * 2, 2);
                Assert.Equal((ErrorCode.None, true), (retry.Error, retry.IsDuplicate));
                Assert.Equal((firstOffsets[batch], firstOffsets[batch] + 1), (retry.Appended.FirstOffset, retry.Appended.LastOffset));
            }
            Assert.Equal(end, log.LogEndOffset);
            // The sixth-from-last batch is no longer retained: its retry is out of order, as in Kafka.
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Send(log, time, 0, 0, 2).Error);
            // Same first sequence but a different range is not a duplicate.
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Send(log, time, 0, 10, 1).Error);
        }
    }

    [Fact]
    public void An_older_epoch_is_fenced_and_a_newer_one_must_start_at_zero()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            Send(log, time, 3, 0, 2);
            Assert.Equal(ErrorCode.InvalidProducerEpoch, Send(log, time, 2, 2, 1).Error);
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Send(log, time, 4, 5, 1).Error);
            LeaderAppendResult bumped = Send(log, time, 4, 0, 1);
            Assert.Equal((ErrorCode.None, false), (bumped.Error, bumped.IsDuplicate));
            Assert.Equal(((short)4, 0, 2L, 1), ProducerBatches.State(log, Pid));
            // A retry from the old epoch is fenced, not answered as a duplicate.
            Assert.Equal(ErrorCode.InvalidProducerEpoch, Send(log, time, 3, 0, 2).Error);
            Assert.Equal(3, log.LogEndOffset);
        }
    }

    [Fact]
    public void Sequences_wrap_from_int_max_to_zero()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            Send(log, time, 0, int.MaxValue - 1, 2);
            Assert.Equal(int.MaxValue, ProducerBatches.State(log, Pid)!.Value.LastSequence);
            Assert.Equal(ErrorCode.None, Send(log, time, 0, 0, 3).Error);
            // A batch that itself wraps (from a producer new here): its last sequence is counted past the wrap.
            Assert.Equal(ErrorCode.None, Send(log, time, 1, int.MaxValue, 3, pid: 7).Error);
            Assert.Equal(1, ProducerBatches.State(log, 7)!.Value.LastSequence);
            LeaderAppendResult retry = Send(log, time, 1, int.MaxValue, 3, pid: 7);
            Assert.True(retry.IsDuplicate);
            Assert.Equal(ErrorCode.None, Send(log, time, 1, 2, 1, pid: 7).Error);
        }
    }

    [Fact]
    public void Producers_are_tracked_apart_and_plain_batches_pass_unchecked()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            Send(log, time, 0, 0, 1, pid: 1);
            Send(log, time, 0, 0, 1, pid: 2);
            Assert.Equal(ErrorCode.None, Send(log, time, 0, 1, 1, pid: 1).Error);
            Assert.True(Send(log, time, 0, 0, 1, pid: 2).IsDuplicate);
            LeaderAppendResult plain = log.AppendAsLeader(TestBatches.Simple(2, time.NowMs));
            Assert.Equal((ErrorCode.None, false, 3L), (plain.Error, plain.IsDuplicate, plain.Appended.FirstOffset));
            Assert.Equal(2, log.ProducerCount);
        }
    }

    [Fact]
    public void The_replicated_path_is_not_checked_but_updates_the_state()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            byte[] batch = ProducerBatches.Of(Pid, 2, 7, 3, time.NowMs);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(batch, 10);
            log.AppendReplicated(batch);
            // An out-of-order batch from the leader is taken as it is.
            byte[] next = ProducerBatches.Of(Pid, 2, 50, 1, time.NowMs);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(next, 13);
            log.AppendReplicated(next);
            Assert.Equal(((short)2, 50, 13L, 2), ProducerBatches.State(log, Pid));
            // As the new leader, a retry of the replicated batch is recognised.
            LeaderAppendResult retry = Send(log, time, 2, 7, 3);
            Assert.Equal((true, 10L, 12L), (retry.IsDuplicate, retry.Appended.FirstOffset, retry.Appended.LastOffset));
        }
    }

    [Fact]
    public void A_producer_batch_must_come_alone()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            byte[] two = TestBatches.Concat(TestBatches.Simple(1, time.NowMs), ProducerBatches.Of(Pid, 0, 0, 1, time.NowMs));
            Assert.Throws<InvalidRecordException>(() => log.AppendAsLeader(two));
            Assert.Equal(0, log.LogEndOffset);
        }
    }

    [Fact]
    public void Plain_Append_updates_the_state_too()
    {
        var (dir, time, log) = Open();
        using (dir)
        using (log)
        {
            log.Append(ProducerBatches.Of(Pid, 0, 0, 2, time.NowMs));
            Assert.True(Send(log, time, 0, 0, 2).IsDuplicate);
        }
    }
}
