using Gregor.Broker.Replication;
using Gregor.Protocol.Records;

namespace Gregor.Broker.Tests.Replication;

public sealed class RefusedProducerBatchesTests
{
    private static byte[] Head(long producerId, short epoch, int baseSequence)
    {
        var header = new byte[RecordBatchHeader.Size];
        header[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(RecordBatchHeader.ProducerIdOffset), producerId);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(header.AsSpan(RecordBatchHeader.ProducerEpochOffset), epoch);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(RecordBatchHeader.BaseSequenceOffset), baseSequence);
        return header;
    }

    [Fact]
    public void Remembers_the_lowest_refused_sequence_of_an_epoch_until_the_producer_is_written_or_the_ttl_passes()
    {
        var refused = new RefusedProducerBatches();
        Assert.True(refused.IsEmpty);
        refused.Refused(Head(7, 0, 10), nowMs: 1_000);
        refused.Refused(Head(7, 0, 12), nowMs: 1_001);
        refused.Refused(Head(7, 0, 4), nowMs: 1_002);
        Assert.False(refused.IsEmpty);

        Assert.True(refused.SkipsARefusedBatch(Head(7, 0, 5), 2_000, out long producerId, out int sequence));
        Assert.Equal((7L, 4), (producerId, sequence));
        Assert.False(refused.SkipsARefusedBatch(Head(7, 0, 4), 2_000, out _, out _));
        Assert.False(refused.SkipsARefusedBatch(Head(7, 1, 9), 2_000, out _, out _));
        Assert.False(refused.SkipsARefusedBatch(Head(8, 0, 9), 2_000, out _, out _));
        Assert.False(refused.SkipsARefusedBatch(Head(7, 0, 9), 1_002 + RefusedProducerBatches.TtlMs, out _, out _));

        refused.Appended(7);
        Assert.True(refused.IsEmpty);
        Assert.False(refused.SkipsARefusedBatch(Head(7, 0, 9), 2_000, out _, out _));
    }

    [Fact]
    public void A_newer_epoch_replaces_an_older_one_and_non_idempotent_batches_are_ignored()
    {
        var refused = new RefusedProducerBatches();
        refused.Refused(Head(7, 0, 10), 1_000);
        refused.Refused(Head(7, 1, 3), 1_001);
        refused.Refused(Head(7, 0, 1), 1_002);
        Assert.True(refused.SkipsARefusedBatch(Head(7, 1, 4), 1_003, out _, out int sequence));
        Assert.Equal(3, sequence);

        var plain = new RefusedProducerBatches();
        plain.Refused(Head(RecordBatchHeader.NoProducerId, RecordBatchHeader.NoProducerEpoch, -1), 1_000);
        plain.Refused(new byte[10], 1_000);
        Assert.True(plain.IsEmpty);
    }

    [Fact]
    public void Holds_at_most_its_capacity_and_makes_room_from_expired_entries()
    {
        var refused = new RefusedProducerBatches();
        for (int producer = 0; producer < RefusedProducerBatches.Capacity; producer++)
            refused.Refused(Head(producer, 0, 5), 1_000);
        refused.Refused(Head(10_000, 0, 5), 1_001);
        Assert.False(refused.SkipsARefusedBatch(Head(10_000, 0, 6), 1_002, out _, out _));

        long later = 1_000 + RefusedProducerBatches.TtlMs;
        refused.Refused(Head(10_000, 0, 5), later);
        Assert.True(refused.SkipsARefusedBatch(Head(10_000, 0, 6), later, out _, out _));
        Assert.False(refused.SkipsARefusedBatch(Head(0, 0, 6), later, out _, out _));
    }
}
