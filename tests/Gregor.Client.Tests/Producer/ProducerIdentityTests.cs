using System.Buffers.Binary;
using Gregor.Client.Producer;
using Gregor.Protocol.Records;

namespace Gregor.Client.Tests.Producer;

/// <summary>An idempotent producer's numbering: per partition, from 0 under each id and epoch, wrapping as brokers expect; epoch bumps and the new id after the last epoch.</summary>
public sealed class ProducerIdentityTests
{
    private static (PartitionQueue Queue, Func<int, ProducerBatch> Batch) Partition()
    {
        var queue = new PartitionQueue(new ProducerTopic("t"), 0);
        return (queue, records =>
        {
            var batch = new ProducerBatch();
            batch.Start(queue, Gregor.Protocol.Compression.CompressionType.None, null, 0);
            for (int i = 0; i < records; i++)
                batch.Append(1_700_000_000_000, NullableBytes.Null, new byte[] { (byte)i }, [], default);
            return batch;
        });
    }

    [Fact]
    public void Nothing_is_numbered_before_there_is_a_producer_id()
    {
        var identity = new ProducerIdentity();
        var (queue, make) = Partition();
        using var batch = make(1);

        Assert.False(identity.TryNumber(queue, batch));
        Assert.False(batch.HasSequence);
    }

    [Fact]
    public void Batches_are_numbered_by_their_records_and_each_partition_counts_alone()
    {
        var identity = new ProducerIdentity();
        identity.SetIdentity(9, 0);
        var (a, makeA) = Partition();
        var (b, makeB) = Partition();
        using var a1 = makeA(3);
        using var a2 = makeA(2);
        using var b1 = makeB(4);

        Assert.True(identity.TryNumber(a, a1));
        Assert.True(identity.TryNumber(b, b1));
        Assert.True(identity.TryNumber(a, a2));

        Assert.Equal((9L, (short)0, 0), (a1.ProducerId, a1.ProducerEpoch, a1.BaseSequence));
        Assert.Equal(3, a2.BaseSequence);
        Assert.Equal(0, b1.BaseSequence);
        ReadOnlySpan<byte> built = a2.Built().Span;
        Assert.Equal((9L, (short)0, 3), (RecordBatchHeader.ProducerId(built), RecordBatchHeader.ProducerEpoch(built), RecordBatchHeader.BaseSequence(built)));
    }

    [Fact]
    public void Sequences_wrap_from_int_max_to_zero()
    {
        var identity = new ProducerIdentity();
        identity.SetIdentity(9, 0);
        var (queue, make) = Partition();
        queue.SequenceProducerId = 9;
        queue.SequenceEpoch = 0;
        queue.NextSequence = int.MaxValue - 1;
        using var batch = make(3);
        using var next = make(1);

        identity.TryNumber(queue, batch);
        identity.TryNumber(queue, next);

        Assert.Equal(int.MaxValue - 1, batch.BaseSequence);
        Assert.Equal(1, next.BaseSequence);
    }

    [Fact]
    public void A_bump_starts_every_partition_at_zero_and_a_stale_bump_changes_nothing()
    {
        var identity = new ProducerIdentity();
        identity.SetIdentity(9, 4);
        var (queue, make) = Partition();
        using var first = make(2);
        using var second = make(1);
        identity.TryNumber(queue, first);

        Assert.True(identity.BumpEpoch(9, 4));
        Assert.False(identity.BumpEpoch(9, 4)); // another batch of the old epoch: already bumped
        identity.TryNumber(queue, second);

        Assert.Equal((short)5, identity.Epoch);
        Assert.Equal(((short)5, 0), (second.ProducerEpoch, second.BaseSequence));
    }

    [Fact]
    public void After_the_last_epoch_a_new_producer_id_is_needed()
    {
        var identity = new ProducerIdentity();
        identity.SetIdentity(9, short.MaxValue);

        Assert.True(identity.BumpEpoch(9, short.MaxValue));

        Assert.False(identity.HasId);
        identity.SetIdentity(10, 0);
        Assert.Equal((10L, (short)0), (identity.ProducerId, identity.Epoch));
    }

    [Fact]
    public void A_partition_counts_as_holding_the_producers_state_from_its_first_acknowledgement_until_a_new_id_or_unknown_producer_id()
    {
        var identity = new ProducerIdentity();
        identity.SetIdentity(9, 0);
        var (queue, make) = Partition();
        using var first = make(2);
        identity.TryNumber(queue, first);
        Assert.False(identity.LeaderHasState(queue)); // nothing acknowledged: the leader may take any sequence

        ProducerIdentity.Acknowledged(queue, first);
        Assert.True(identity.LeaderHasState(queue));

        identity.BumpEpoch(9, 0); // the same id: the leader's state refuses a new epoch that does not start at 0
        Assert.True(identity.LeaderHasState(queue));

        ProducerIdentity.StateLost(queue); // UNKNOWN_PRODUCER_ID: no state any more
        Assert.False(identity.LeaderHasState(queue));
        ProducerIdentity.Acknowledged(queue, first);
        Assert.True(identity.LeaderHasState(queue));

        identity.SetIdentity(10, 0); // a new id: no leader has state for it yet
        Assert.False(identity.LeaderHasState(queue));
    }

    [Fact]
    public void A_built_batch_renumbered_for_a_resend_keeps_its_records_and_a_valid_crc()
    {
        var identity = new ProducerIdentity();
        identity.SetIdentity(9, 0);
        var (queue, make) = Partition();
        using var batch = make(5);
        identity.TryNumber(queue, batch);
        byte[] before = batch.Built().ToArray();

        identity.BumpEpoch(9, 0);
        RecordAccumulator.RestartSequence(batch);
        Assert.False(batch.HasSequence);
        identity.TryNumber(queue, batch);

        ReadOnlySpan<byte> after = batch.Built().Span;
        Assert.Equal(((short)1, 0), (RecordBatchHeader.ProducerEpoch(after), RecordBatchHeader.BaseSequence(after)));
        Assert.Equal(RecordBatchHeader.ComputeCrc(after), BinaryPrimitives.ReadUInt32BigEndian(after[RecordBatchHeader.CrcOffset..]));
        Assert.True(after[RecordBatchHeader.Size..].SequenceEqual(before.AsSpan(RecordBatchHeader.Size)));
    }
}
