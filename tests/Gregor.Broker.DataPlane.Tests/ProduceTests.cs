using System.Buffers.Binary;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Compression;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;

namespace Gregor.Broker.DataPlane.Tests;

public sealed class ProduceTests
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static ProduceResponse.PartitionProduceResponse Single(ProduceResponse? response) =>
        Assert.Single(Assert.Single(response!.Responses).PartitionResponses);

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(11)]
    public async Task Produce_then_fetch_returns_the_records_at_the_assigned_offsets(short version)
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("orders");
        long now = Now;

        var first = Single(await broker.ProduceAsync("orders", 0, Batches.Create(3, now, "a"), version: version));
        var second = Single(await broker.ProduceAsync("orders", 0, Batches.Create(2, now, "b"), version: version));

        Assert.Equal(0, first.ErrorCode);
        Assert.Equal(0, first.BaseOffset);
        Assert.Equal(0, second.ErrorCode);
        Assert.Equal(3, second.BaseOffset);
        Assert.Equal(-1, second.LogAppendTimeMs);
        if (version >= 5)
            Assert.Equal(0, second.LogStartOffset);

        var fetched = Assert.Single(Assert.Single((await broker.FetchAsync("orders", 0, 0)).Responses).Partitions);
        Assert.Equal(0, fetched.ErrorCode);
        Assert.Equal(5, fetched.HighWatermark);
        Assert.Equal(5, fetched.LastStableOffset);
        Assert.Equal(0, fetched.LogStartOffset);
        var records = Batches.Read(fetched.Records!.Value);
        Assert.Equal(["a0", "a1", "a2", "b0", "b1"], records.Select(r => r.Value));
        Assert.Equal([0L, 1, 2, 3, 4], records.Select(r => r.Offset));
        // The leader epoch of the image is stamped into stored batches.
        Assert.Equal(3, RecordBatchHeader.PartitionLeaderEpoch(fetched.Records!.Value.Span));
    }

    [Fact]
    public async Task Compressed_batches_are_stored_as_sent()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("zipped");
        byte[] batch = Batches.Create(50, Now, "compressible-compressible-", CompressionType.Gzip);

        Assert.Equal(0, Single(await broker.ProduceAsync("zipped", 0, batch)).ErrorCode);

        var fetched = Assert.Single(Assert.Single((await broker.FetchAsync("zipped", 0, 0)).Responses).Partitions);
        byte[] stored = fetched.Records!.Value.ToArray();
        Assert.Equal(batch.Length, stored.Length);
        Assert.Equal(CompressionType.Gzip, (CompressionType)((int)RecordBatchHeader.Attributes(stored) & 7));
        Assert.Equal(50, Batches.Read(stored).Count);
        // Only the header's base offset and leader epoch differ from what the producer sent.
        Assert.True(stored.AsSpan(RecordBatchHeader.MagicOffset).SequenceEqual(batch.AsSpan(RecordBatchHeader.MagicOffset)));
    }

    [Fact]
    public async Task Acks_zero_sends_no_response_but_appends()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("fire");

        Assert.Null(await broker.ProduceAsync("fire", 0, Batches.Create(2, Now), acks: 0));
        Assert.Null(await broker.ProduceAsync("missing", 0, Batches.Create(2, Now), acks: 0));

        Assert.Equal(2, broker.Replicas.GetPartition("fire", 0)!.Log.LogEndOffset);
    }

    [Fact]
    public async Task Acks_all_answers_once_the_high_watermark_covers_the_append()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("durable");

        var response = Single(await broker.ProduceAsync("durable", 0, Batches.Create(4, Now), acks: -1));

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(0, response.BaseOffset);
        Assert.Equal(4, broker.Replicas.GetPartition("durable", 0)!.Log.HighWatermark);
    }

    [Fact]
    public async Task Acks_all_times_out_while_another_in_sync_replica_has_not_caught_up()
    {
        await using var broker = new DataPlaneFixture();
        // The image puts a second broker in the ISR; nothing replicates to it, so the high watermark cannot move.
        broker.Metadata.PublishTopic(broker.Metadata.CreateTopic("replicated") is var t
            ? t with { Partitions = [new Gregor.Metadata.PartitionImage(0, TestMetadataView.NodeId, 3, 1, [TestMetadataView.NodeId, 2], [TestMetadataView.NodeId, 2])] }
            : t);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var timedOut = Single(await broker.ProduceAsync("replicated", 0, Batches.Create(1, Now), acks: -1, timeoutMs: 200));
        var leaderOnly = Single(await broker.ProduceAsync("replicated", 0, Batches.Create(1, Now), acks: 1));

        Assert.Equal((short)ErrorCode.RequestTimedOut, timedOut.ErrorCode);
        Assert.True(started.ElapsedMilliseconds >= 190, $"answered after {started.ElapsedMilliseconds} ms");
        Assert.Equal(0, leaderOnly.ErrorCode);
        Assert.Equal(1, leaderOnly.BaseOffset);
    }

    [Fact]
    public async Task Acks_all_below_min_insync_replicas_is_refused_before_the_append()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("strict", configs: new Dictionary<string, string> { ["min.insync.replicas"] = "2" });

        var refused = Single(await broker.ProduceAsync("strict", 0, Batches.Create(1, Now), acks: -1));
        var acksOne = Single(await broker.ProduceAsync("strict", 0, Batches.Create(1, Now), acks: 1));

        Assert.Equal((short)ErrorCode.NotEnoughReplicas, refused.ErrorCode);
        Assert.Equal(0, acksOne.ErrorCode);
        Assert.Equal(0, acksOne.BaseOffset);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(-2)]
    [InlineData(5)]
    public async Task Other_acks_values_are_invalid(short acks)
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");

        var response = Single(await broker.ProduceAsync("t", 0, Batches.Create(1, Now), acks: acks));

        Assert.Equal((short)ErrorCode.InvalidRequiredAcks, response.ErrorCode);
        Assert.Equal(0, broker.Replicas.GetPartition("t", 0)!.Log.LogEndOffset);
    }

    [Fact]
    public async Task Clients_cannot_append_to_internal_topics()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("__consumer_offsets");

        var refused = Single(await broker.ProduceAsync("__consumer_offsets", 0, Batches.Create(1, Now)));

        Assert.Equal((short)ErrorCode.InvalidTopicException, refused.ErrorCode);
        var fetched = Assert.Single(Assert.Single((await broker.FetchAsync("__consumer_offsets", 0, 0)).Responses).Partitions);
        Assert.Equal(0, fetched.HighWatermark);
    }

    [Fact]
    public async Task Unknown_topic_or_partition()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("known");

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.ProduceAsync("unknown", 0, Batches.Create(1, Now))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Single(await broker.ProduceAsync("known", 1, Batches.Create(1, Now))).ErrorCode);
    }

    [Fact]
    public async Task A_flipped_byte_under_the_crc_is_a_corrupt_message()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        byte[] batch = Batches.Create(2, Now);
        batch[^3] ^= 0x40;

        var response = Single(await broker.ProduceAsync("t", 0, batch));

        Assert.Equal((short)ErrorCode.CorruptMessage, response.ErrorCode);
        Assert.Equal(0, broker.Replicas.GetPartition("t", 0)!.Log.LogEndOffset);
    }

    [Fact]
    public async Task A_truncated_batch_is_a_corrupt_message()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");

        var response = Single(await broker.ProduceAsync("t", 0, Batches.Create(2, Now)[..40]));

        Assert.Equal((short)ErrorCode.CorruptMessage, response.ErrorCode);
    }

    [Fact]
    public async Task A_batch_over_max_message_bytes_is_too_large()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("small", configs: new Dictionary<string, string> { ["max.message.bytes"] = "500" });
        broker.Metadata.CreateTopic("default");

        var tooLarge = Single(await broker.ProduceAsync("small", 0, Batches.Create(1, Now, valueBytes: 600)));
        var fits = Single(await broker.ProduceAsync("small", 0, Batches.Create(1, Now, valueBytes: 100)));
        // message.max.bytes (1 MiB + 12 by default) is the limit of topics that do not set their own.
        var overBrokerLimit = Single(await broker.ProduceAsync("default", 0, Batches.Create(1, Now, valueBytes: 1024 * 1024 + 100)));

        Assert.Equal((short)ErrorCode.MessageTooLarge, tooLarge.ErrorCode);
        Assert.Equal(0, fits.ErrorCode);
        Assert.Equal((short)ErrorCode.MessageTooLarge, overBrokerLimit.ErrorCode);
    }

    [Fact]
    public async Task Two_batches_in_one_partition_are_an_invalid_record_with_record_errors_from_v8()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        byte[] twoBatches = Batches.Concat(Batches.Create(1, Now), Batches.Create(1, Now));

        var response = Single(await broker.ProduceAsync("t", 0, twoBatches, version: 8));

        Assert.Equal((short)ErrorCode.InvalidRecord, response.ErrorCode);
        Assert.NotNull(response.ErrorMessage);
    }

    [Fact]
    public async Task A_malformed_record_inside_a_valid_crc_is_an_invalid_record_with_its_error()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        byte[] batch = Batches.Create(2, Now);
        // Claim one more record than the batch holds (offset delta range stays consistent), then fix the CRC.
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordsCountOffset), 3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 2);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchHeader.CrcOffset), RecordBatchHeader.ComputeCrc(batch));

        var response = Single(await broker.ProduceAsync("t", 0, batch, version: 9));

        Assert.Equal((short)ErrorCode.InvalidRecord, response.ErrorCode);
        var error = Assert.Single(response.RecordErrors);
        Assert.Contains("RecordCountMismatch", error.BatchIndexErrorMessage);
    }

    [Fact]
    public async Task Timestamps_too_far_in_the_future_are_invalid_and_the_records_are_named()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        broker.Metadata.CreateTopic("past", configs: new Dictionary<string, string> { ["message.timestamp.before.max.ms"] = "60000" });

        // Records 0..2 at now + 2h - 1 .. +1: every one over the one-hour default of message.timestamp.after.max.ms.
        var future = Single(await broker.ProduceAsync("t", 0, Batches.Create(3, Now + 2 * 3_600_000), version: 9));
        var old = Single(await broker.ProduceAsync("past", 0, Batches.Create(2, Now - 3_600_000), version: 9));
        var fine = Single(await broker.ProduceAsync("past", 0, Batches.Create(2, Now - 1000), version: 9));

        Assert.Equal((short)ErrorCode.InvalidTimestamp, future.ErrorCode);
        Assert.Equal([0, 1, 2], future.RecordErrors.Select(e => e.BatchIndex));
        Assert.Equal((short)ErrorCode.InvalidTimestamp, old.ErrorCode);
        Assert.Equal(0, fine.ErrorCode);
    }

    [Fact]
    public async Task Log_append_time_topics_stamp_the_broker_time()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("appended", configs: new Dictionary<string, string> { ["message.timestamp.type"] = "LogAppendTime" });
        long before = Now;

        // A timestamp far in the past is no error here: the broker's time replaces it.
        var response = Single(await broker.ProduceAsync("appended", 0, Batches.Create(2, 1000)));

        Assert.Equal(0, response.ErrorCode);
        Assert.InRange(response.LogAppendTimeMs, before, Now);
        var fetched = Assert.Single(Assert.Single((await broker.FetchAsync("appended", 0, 0)).Responses).Partitions);
        Assert.All(Batches.Read(fetched.Records!.Value), record => Assert.Equal(response.LogAppendTimeMs, record.Timestamp));
    }

    [Fact]
    public async Task Legacy_magic_1_message_sets_are_converted_to_a_v2_batch()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("old");
        long now = Now;
        byte[] messageSet = Batches.Concat(Batches.LegacyMessageV1(now, "k1", "first"), Batches.LegacyMessageV1(now + 1, "k2", "second"));

        var response = Single(await broker.ProduceAsync("old", 0, messageSet, version: 2));
        var corrupt = messageSet.ToArray();
        corrupt[^1] ^= 1;
        var refused = Single(await broker.ProduceAsync("old", 0, corrupt, version: 2));

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(0, response.BaseOffset);
        Assert.Equal((short)ErrorCode.CorruptMessage, refused.ErrorCode);
        var fetched = Assert.Single(Assert.Single((await broker.FetchAsync("old", 0, 0)).Responses).Partitions);
        Assert.Equal(RecordBatchHeader.CurrentMagic, RecordBatchHeader.Magic(fetched.Records!.Value.Span));
        Assert.Equal([("first", now), ("second", now + 1)], Batches.Read(fetched.Records!.Value).Select(r => (r.Value, r.Timestamp)));
    }

    [Fact]
    public async Task Legacy_message_sets_are_refused_from_v3()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("old");

        var response = Single(await broker.ProduceAsync("old", 0, Batches.LegacyMessageV1(Now, "k", "v"), version: 3));

        Assert.Equal((short)ErrorCode.InvalidRecord, response.ErrorCode);
    }

    [Fact]
    public async Task Idempotent_retries_get_the_first_offsets_and_gaps_are_out_of_order()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("idem");
        long now = Now;

        var first = Single(await broker.ProduceAsync("idem", 0, Batches.Create(3, now, producerId: 42, producerEpoch: 0, baseSequence: 0)));
        var retry = Single(await broker.ProduceAsync("idem", 0, Batches.Create(3, now, producerId: 42, producerEpoch: 0, baseSequence: 0)));
        var next = Single(await broker.ProduceAsync("idem", 0, Batches.Create(2, now, producerId: 42, producerEpoch: 0, baseSequence: 3)));
        var gap = Single(await broker.ProduceAsync("idem", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 9)));

        Assert.Equal((0, 0L), (first.ErrorCode, first.BaseOffset));
        Assert.Equal((0, 0L), (retry.ErrorCode, retry.BaseOffset));
        Assert.Equal((0, 3L), (next.ErrorCode, next.BaseOffset));
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, gap.ErrorCode);
        Assert.Equal(5, broker.Replicas.GetPartition("idem", 0)!.Log.LogEndOffset);

        var bumped = Single(await broker.ProduceAsync("idem", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 1, baseSequence: 0)));
        var stale = Single(await broker.ProduceAsync("idem", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 5)));
        Assert.Equal(0, bumped.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidProducerEpoch, stale.ErrorCode);
    }

    [Fact]
    public async Task A_leader_that_may_have_been_deposed_answers_a_sequence_gap_with_not_leader()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("idem-lapsed");
        long now = Now;
        Single(await broker.ProduceAsync("idem-lapsed", 0, Batches.Create(3, now, producerId: 42, producerEpoch: 0, baseSequence: 0)));
        broker.Replicas.SessionLease.Lapse();

        // The producer's next batches may have gone to a successor: the gap is this broker's staleness, not the producer's.
        var gap = Single(await broker.ProduceAsync("idem-lapsed", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 9)));
        var next = Single(await broker.ProduceAsync("idem-lapsed", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 3)));

        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, gap.ErrorCode);
        Assert.Equal((0, 3L), (next.ErrorCode, next.BaseOffset));
        broker.Replicas.SessionLease.Renew(broker.Replicas.Time.GetTimestamp(), TimeSpan.FromSeconds(30));
        var renewedGap = Single(await broker.ProduceAsync("idem-lapsed", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 9)));
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, renewedGap.ErrorCode);
    }

    [Fact]
    public async Task A_leader_without_state_for_a_producer_refuses_a_batch_that_skips_one_it_refused_unwritten()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("skips", configs: new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        long now = Now;
        byte[] head = Batches.Create(2, now, producerId: 42, producerEpoch: 0, baseSequence: 7);

        // Too few in-sync replicas: the head batch is refused before it is written.
        var refused = Single(await broker.ProduceAsync("skips", 0, head, acks: -1));
        Assert.Equal((short)ErrorCode.NotEnoughReplicas, refused.ErrorCode);
        // A later batch of the same producer must not be taken in its place (librdkafka would count the head as written).
        var skipping = Single(await broker.ProduceAsync("skips", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 9)));
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, skipping.ErrorCode);
        // Another producer, or this one after bumping its epoch, is not held back.
        Assert.Equal(0, Single(await broker.ProduceAsync("skips", 0, Batches.Create(1, now, producerId: 43, producerEpoch: 0, baseSequence: 5))).ErrorCode);
        Assert.Equal(0, Single(await broker.ProduceAsync("skips", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 1, baseSequence: 0))).ErrorCode);

        // The head batch itself, resent, is written; from then on the producer's state decides.
        await using var other = new DataPlaneFixture();
        other.Metadata.CreateTopic("skips", configs: new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        Single(await other.ProduceAsync("skips", 0, head, acks: -1));
        var resent = Single(await other.ProduceAsync("skips", 0, head));
        var next = Single(await other.ProduceAsync("skips", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 9)));
        Assert.Equal((0, 0L), (resent.ErrorCode, resent.BaseOffset));
        Assert.Equal((0, 2L), (next.ErrorCode, next.BaseOffset));
    }

    [Fact]
    public async Task A_batch_refused_before_this_broker_led_still_holds_back_a_later_one_once_it_leads()
    {
        await using var broker = new DataPlaneFixture();
        TopicImage topic = broker.Metadata.CreateTopic("takeover");
        PartitionImage led = topic.Partitions[0];
        // Another broker leads: the head batch is refused unwritten.
        broker.Metadata.PublishTopic(topic with { Partitions = [led with { Leader = 2, LeaderEpoch = led.LeaderEpoch + 1, Replicas = [1, 2], Isr = [1, 2] }] });
        long now = Now;
        var notLeader = Single(await broker.ProduceAsync("takeover", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 4)));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, notLeader.ErrorCode);

        // This broker takes over before the producer resends; its next in-flight batch arrives first.
        broker.Metadata.PublishTopic(topic with { Partitions = [led with { LeaderEpoch = led.LeaderEpoch + 2, Replicas = [1, 2], Isr = [1] }] });
        var skipping = Single(await broker.ProduceAsync("takeover", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 5)));
        var head = Single(await broker.ProduceAsync("takeover", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 4)));
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, skipping.ErrorCode);
        Assert.Equal((0, 0L), (head.ErrorCode, head.BaseOffset));
    }

    [Fact]
    public async Task A_retry_after_a_broker_restart_still_gets_the_first_offsets()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("idem-restart");
        long now = Now;
        Single(await broker.ProduceAsync("idem-restart", 0, Batches.Create(3, now, producerId: 42, producerEpoch: 0, baseSequence: 0)));
        var second = Single(await broker.ProduceAsync("idem-restart", 0, Batches.Create(2, now, producerId: 42, producerEpoch: 0, baseSequence: 3)));

        await broker.RestartAsync();

        var retry = Single(await broker.ProduceAsync("idem-restart", 0, Batches.Create(2, now, producerId: 42, producerEpoch: 0, baseSequence: 3)));
        var gap = Single(await broker.ProduceAsync("idem-restart", 0, Batches.Create(1, now, producerId: 42, producerEpoch: 0, baseSequence: 9)));
        Assert.Equal((0, second.BaseOffset), (retry.ErrorCode, retry.BaseOffset));
        Assert.Equal((short)ErrorCode.OutOfOrderSequenceNumber, gap.ErrorCode);
        Assert.Equal(5, broker.Replicas.GetPartition("idem-restart", 0)!.Log.LogEndOffset);
    }

    [Fact]
    public async Task Past_producer_state_max_entries_a_new_producer_is_throttled_and_known_ones_go_on()
    {
        await using var broker = new DataPlaneFixture(config => config with { ProducerStateMaxEntries = 2 });
        broker.Metadata.CreateTopic("capped", partitions: 2);
        long now = Now;
        Assert.Equal(0, Single(await broker.ProduceAsync("capped", 0, Batches.Create(1, now, producerId: 1, producerEpoch: 0, baseSequence: 0))).ErrorCode);
        Assert.Equal(0, Single(await broker.ProduceAsync("capped", 1, Batches.Create(1, now, producerId: 1, producerEpoch: 0, baseSequence: 0))).ErrorCode);

        var refused = Single(await broker.ProduceAsync("capped", 0, Batches.Create(1, now, producerId: 2, producerEpoch: 0, baseSequence: 0)));
        Assert.Equal((short)ErrorCode.ThrottlingQuotaExceeded, refused.ErrorCode);
        Assert.Contains("producer.state.max.entries", refused.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, Single(await broker.ProduceAsync("capped", 0, Batches.Create(1, now, producerId: 1, producerEpoch: 0, baseSequence: 1))).ErrorCode);
        Assert.Equal(0, Single(await broker.ProduceAsync("capped", 0, Batches.Create(1, now))).ErrorCode);
    }

    [Fact]
    public async Task A_producer_id_the_cluster_never_issued_is_unknown_and_nothing_is_appended()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("invented");
        long invented = TestMetadataView.IssuedProducerIdsEnd;

        var response = Single(await broker.ProduceAsync("invented", 0, Batches.Create(2, Now, producerId: invented, producerEpoch: 0, baseSequence: 0)));

        Assert.Equal((short)ErrorCode.UnknownProducerId, response.ErrorCode);
        Assert.Equal(0, broker.Replicas.GetPartition("invented", 0)!.Log.LogEndOffset);
        var issued = Single(await broker.ProduceAsync("invented", 0, Batches.Create(2, Now, producerId: invented - 1, producerEpoch: 0, baseSequence: 0)));
        Assert.Equal((0, 0L), (issued.ErrorCode, issued.BaseOffset));
    }

    [Fact]
    public async Task A_follower_answers_not_leader_before_judging_a_producer_id_or_the_isr()
    {
        await using var broker = new DataPlaneFixture();
        var topic = broker.Metadata.CreateTopic("followed", configs: new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        // Led by broker 2, this broker a follower outside the ISR (so below min.insync.replicas as well).
        broker.Metadata.PublishTopic(topic with { Partitions = [new Gregor.Metadata.PartitionImage(0, 2, 3, 3, [TestMetadataView.NodeId, 2], [2])] });
        long invented = TestMetadataView.IssuedProducerIdsEnd;

        var idempotent = Single(await broker.ProduceAsync("followed", 0, Batches.Create(1, Now, producerId: invented, producerEpoch: 0, baseSequence: 0), version: 10));
        var acksAll = Single(await broker.ProduceAsync("followed", 0, Batches.Create(1, Now), acks: -1));

        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, idempotent.ErrorCode);
        Assert.Equal((2, 3), (idempotent.CurrentLeader!.LeaderId, idempotent.CurrentLeader.LeaderEpoch)); // v10+: where to go instead
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, acksAll.ErrorCode);
        Assert.Equal(0, broker.Replicas.GetPartition("followed", 0)!.Log.LogEndOffset);
    }

    [Fact]
    public async Task A_corrupt_batch_naming_an_unissued_producer_id_is_corrupt()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("invented");
        byte[] batch = Batches.Create(2, Now, producerId: 1L << 50, producerEpoch: 0, baseSequence: 0);
        batch[^1] ^= 0x5A;

        var response = Single(await broker.ProduceAsync("invented", 0, batch));

        Assert.Equal((short)ErrorCode.CorruptMessage, response.ErrorCode);
    }

    [Fact]
    public async Task Transactional_batches_are_refused_until_transactions_exist()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("tx");

        var response = Single(await broker.ProduceAsync("tx", 0,
            Batches.Create(1, Now, producerId: 7, producerEpoch: 0, baseSequence: 0, transactional: true)));

        Assert.Equal((short)ErrorCode.InvalidTxnState, response.ErrorCode);
    }

    [Fact]
    public async Task Zstd_needs_produce_v7()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("z");
        byte[] batch = Batches.Create(3, Now, compression: CompressionType.Zstd);

        Assert.Equal((short)ErrorCode.UnsupportedCompressionType, Single(await broker.ProduceAsync("z", 0, batch, version: 6)).ErrorCode);
        Assert.Equal(0, Single(await broker.ProduceAsync("z", 0, batch, version: 7)).ErrorCode);
    }
}
