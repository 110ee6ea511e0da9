using System.Diagnostics;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.DataPlane.Tests;

public sealed class FetchTests
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static FetchResponse.PartitionData Single(FetchResponse response) => Assert.Single(Assert.Single(response.Responses).Partitions);

    private static async Task<DataPlaneFixture> WithBatchesAsync(string topic, int partitions, int batches, int valueBytes)
    {
        var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic(topic, partitions);
        for (int partition = 0; partition < partitions; partition++)
        {
            for (int index = 0; index < batches; index++)
                Assert.Equal(0, (await broker.ProduceAsync(topic, partition, Batches.Create(1, Now, valueBytes: valueBytes)))!.Responses[0].PartitionResponses[0].ErrorCode);
        }
        return broker;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(15)]
    [InlineData(17)]
    public async Task Every_version_reads_the_batches_from_the_fetch_offset(short version)
    {
        await using var broker = await WithBatchesAsync("t", 1, 3, 10);
        FetchRequest request = DataPlaneFixture.FetchRequestFor(("t", 0, 1, 1 << 20));
        if (version >= 13)
            request.Topics[0].TopicId = broker.Metadata.Current.Topic("t")!.Id;

        FetchResponse response = await broker.FetchAsync(request, version);

        var partition = Single(response);
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(0, response.SessionId);
        Assert.Equal(0, partition.ErrorCode);
        Assert.Equal(3, partition.HighWatermark);
        Assert.Equal(-1, partition.PreferredReadReplica);
        Assert.Equal([1L, 2], Batches.Read(partition.Records!.Value).Select(r => r.Offset));
        if (version >= 13)
            Assert.Equal(request.Topics[0].TopicId, response.Responses[0].TopicId);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(40)]
    public async Task A_partition_named_more_than_once_is_fetched_once_with_what_the_last_naming_asked(int namings)
    {
        await using var broker = await WithBatchesAsync("t", 2, 3, 10);
        var partitions = new List<(string, int, long, int)> { ("t", 1, 0, 1 << 20) };
        for (int index = 0; index < namings; index++)
            partitions.Add(("t", 0, index % 3, 1 << 20));
        FetchRequest request = DataPlaneFixture.FetchRequestFor([.. partitions]);

        FetchResponse response = await broker.FetchAsync(request, 11);

        var answered = Assert.Single(response.Responses).Partitions;
        Assert.Equal([1, 0], answered.Select(p => p.PartitionIndex));
        long lastOffset = (namings - 1) % 3;
        Assert.Equal(Enumerable.Range((int)lastOffset, 3 - (int)lastOffset).Select(o => (long)o), Batches.Read(answered[1].Records!.Value).Select(r => r.Offset));
    }

    [Fact]
    public async Task An_unknown_topic_id_is_reported_as_such()
    {
        await using var broker = await WithBatchesAsync("t", 1, 1, 10);
        FetchRequest request = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20));
        request.Topics[0].TopicId = Gregor.Protocol.Primitives.KafkaUuid.NewRandom(Random.Shared);

        Assert.Equal((short)ErrorCode.UnknownTopicId, Single(await broker.FetchAsync(request, 13)).ErrorCode);
    }

    [Fact]
    public async Task Partition_max_bytes_limits_the_batches_but_the_first_one_comes_whole()
    {
        await using var broker = await WithBatchesAsync("t", 1, 5, 1000);

        var tiny = Single(await broker.FetchAsync("t", 0, 0, partitionMaxBytes: 10));
        var twoAndABit = Single(await broker.FetchAsync("t", 0, 0, partitionMaxBytes: 2500));

        Assert.Equal([0L], Batches.Read(tiny.Records!.Value).Select(r => r.Offset));
        Assert.Equal([0L, 1], Batches.Read(twoAndABit.Records!.Value).Select(r => r.Offset));
    }

    [Fact]
    public async Task Max_bytes_limits_the_whole_response_after_the_first_batch()
    {
        await using var broker = await WithBatchesAsync("t", 3, 3, 1000);
        FetchRequest request = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20), ("t", 1, 0, 1 << 20), ("t", 2, 0, 1 << 20));
        request.MaxBytes = 2500;

        var partitions = Assert.Single((await broker.FetchAsync(request)).Responses).Partitions;

        Assert.Equal(2, Batches.Read(partitions[0].Records!.Value).Count);
        // 2 batches of ~1080 bytes leave less than a batch: the other partitions get none, but their offsets.
        Assert.Empty(Batches.Read(partitions[1].Records!.Value));
        Assert.Empty(Batches.Read(partitions[2].Records!.Value));
        Assert.All(partitions, p => Assert.Equal(3, p.HighWatermark));

        request.MaxBytes = 1;
        partitions = Assert.Single((await broker.FetchAsync(request)).Responses).Partitions;
        Assert.Single(Batches.Read(partitions[0].Records!.Value));
        Assert.Empty(Batches.Read(partitions[1].Records!.Value));
    }

    [Fact]
    public async Task Before_v3_the_partition_limit_is_hard()
    {
        await using var broker = await WithBatchesAsync("t", 1, 2, 1000);

        var partition = Single(await broker.FetchAsync("t", 0, 0, partitionMaxBytes: 100, version: 2));

        Assert.Equal(0, partition.ErrorCode);
        Assert.Empty(Batches.Read(partition.Records!.Value));
    }

    [Fact]
    public async Task Offsets_outside_the_log_are_out_of_range_and_the_end_offset_is_empty()
    {
        await using var broker = await WithBatchesAsync("t", 1, 3, 10);

        var beyond = Single(await broker.FetchAsync("t", 0, 4));
        var atEnd = Single(await broker.FetchAsync("t", 0, 3));
        var negative = Single(await broker.FetchAsync("t", 0, -1));

        Assert.Equal((short)ErrorCode.OffsetOutOfRange, beyond.ErrorCode);
        Assert.Equal(-1, beyond.HighWatermark);
        Assert.Equal(0, atEnd.ErrorCode);
        Assert.Equal(3, atEnd.HighWatermark);
        Assert.Equal(0, atEnd.Records!.Value.Length);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, negative.ErrorCode);
    }

    [Fact]
    public async Task Unknown_partitions_and_stale_leader_epochs_are_refused()
    {
        await using var broker = await WithBatchesAsync("t", 1, 1, 10);
        FetchRequest request = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20), ("t", 5, 0, 1 << 20), ("nope", 0, 0, 1 << 20));

        var response = await broker.FetchAsync(request);
        var fenced = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20));
        fenced.Topics[0].Partitions[0].CurrentLeaderEpoch = 2;
        var ahead = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20));
        ahead.Topics[0].Partitions[0].CurrentLeaderEpoch = 4;

        Assert.Equal(0, response.Responses[0].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Responses[0].Partitions[1].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Responses[1].Partitions[0].ErrorCode);
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, Single(await broker.FetchAsync(fenced, 11)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownLeaderEpoch, Single(await broker.FetchAsync(ahead, 11)).ErrorCode);
    }

    [Fact]
    public async Task A_session_request_gets_a_sessionless_answer_and_unknown_sessions_an_error()
    {
        await using var broker = await WithBatchesAsync("t", 1, 1, 10);
        FetchRequest newSession = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20));
        newSession.SessionEpoch = 0;
        FetchRequest unknown = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20));
        unknown.SessionId = 1234;
        unknown.SessionEpoch = 1;
        FetchRequest badEpoch = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20));
        badEpoch.SessionEpoch = 3;

        FetchResponse started = await broker.FetchAsync(newSession, 11);
        FetchResponse notFound = await broker.FetchAsync(unknown, 11);
        FetchResponse invalid = await broker.FetchAsync(badEpoch, 11);

        Assert.Equal(0, started.ErrorCode);
        Assert.Equal(0, started.SessionId);
        Assert.Single(Batches.Read(Single(started).Records!.Value));
        Assert.Equal((short)ErrorCode.FetchSessionIdNotFound, notFound.ErrorCode);
        Assert.Empty(notFound.Responses);
        Assert.Equal((short)ErrorCode.InvalidFetchSessionEpoch, invalid.ErrorCode);
    }

    [Fact]
    public async Task Read_committed_reads_below_the_last_stable_offset_with_an_empty_aborted_list()
    {
        await using var broker = await WithBatchesAsync("t", 1, 2, 10);
        FetchRequest request = DataPlaneFixture.FetchRequestFor(("t", 0, 0, 1 << 20));
        request.IsolationLevel = 1;

        var committed = Single(await broker.FetchAsync(request, 11));
        var uncommitted = Single(await broker.FetchAsync("t", 0, 0));

        Assert.Equal(2, committed.LastStableOffset);
        Assert.NotNull(committed.AbortedTransactions);
        Assert.Empty(committed.AbortedTransactions);
        Assert.Null(uncommitted.AbortedTransactions);
        Assert.Equal(2, Batches.Read(committed.Records!.Value).Count);
    }

    [Fact]
    public async Task A_long_poll_returns_as_soon_as_data_arrives()
    {
        await using var broker = await WithBatchesAsync("t", 1, 0, 10);
        var clock = Stopwatch.StartNew();

        Task<FetchResponse> waiting = broker.FetchAsync("t", 0, 0, maxWaitMs: 10_000, minBytes: 1);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        await broker.ProduceAsync("t", 0, Batches.Create(2, Now, "late"));
        FetchResponse response = await waiting.WaitAsync(TimeSpan.FromSeconds(5));

        // Well before max_wait_ms (10 s): answered when the data came. (No lower bound: Task.Delay(100) may end a
        // millisecond or two before the stopwatch says 100, which once failed the suite.)
        Assert.InRange(clock.ElapsedMilliseconds, 0, 5000);
        Assert.Equal(["late0", "late1"], Batches.Read(Single(response).Records!.Value).Select(r => r.Value));
    }

    [Fact]
    public async Task A_long_poll_waits_for_min_bytes_across_appends()
    {
        await using var broker = await WithBatchesAsync("t", 1, 0, 10);

        Task<FetchResponse> waiting = broker.FetchAsync("t", 0, 0, maxWaitMs: 10_000, minBytes: 1500);
        await broker.ProduceAsync("t", 0, Batches.Create(1, Now, valueBytes: 1000));
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        await broker.ProduceAsync("t", 0, Batches.Create(1, Now, valueBytes: 1000));
        FetchResponse response = await waiting.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(2, Batches.Read(Single(response).Records!.Value).Count);
    }

    [Fact]
    public async Task A_leader_that_may_have_been_deposed_answers_beyond_its_end_with_not_leader_rather_than_out_of_range()
    {
        await using var broker = await WithBatchesAsync("t", 1, 3, 10);
        broker.Replicas.SessionLease.Lapse();

        var beyond = Single(await broker.FetchAsync("t", 0, 4));
        var below = Single(await broker.FetchAsync("t", 0, 1));

        // A successor may have written past this log's end: a client without leader epochs would reset its position.
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, beyond.ErrorCode);
        // What this log has is served still, as Kafka's leader does while its controller is away.
        Assert.Equal(0, below.ErrorCode);
        Assert.Equal(2, Batches.Read(below.Records!.Value).Count);

        broker.Replicas.SessionLease.Renew(broker.Replicas.Time.GetTimestamp(), TimeSpan.FromSeconds(30));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, Single(await broker.FetchAsync("t", 0, 4)).ErrorCode);
    }

    [Fact]
    public async Task A_long_poll_with_no_data_times_out_empty()
    {
        await using var broker = await WithBatchesAsync("t", 1, 0, 10);
        var clock = Stopwatch.StartNew();

        FetchResponse response = await broker.FetchAsync("t", 0, 0, maxWaitMs: 300, minBytes: 1);

        Assert.True(clock.ElapsedMilliseconds >= 290, $"returned after {clock.ElapsedMilliseconds} ms");
        var partition = Single(response);
        Assert.Equal(0, partition.ErrorCode);
        Assert.Equal(0, partition.Records!.Value.Length);
    }

    [Fact]
    public async Task Errors_answer_at_once_without_waiting()
    {
        await using var broker = await WithBatchesAsync("t", 1, 0, 10);
        var clock = Stopwatch.StartNew();

        FetchResponse response = await broker.FetchAsync("t", 0, 10, maxWaitMs: 30_000, minBytes: 1);

        Assert.True(clock.ElapsedMilliseconds < 15_000, $"answered after {clock.ElapsedMilliseconds} ms"); // far below the wait
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, Single(response).ErrorCode);
    }

    [Fact]
    public async Task Many_waiting_fetches_hold_no_thread()
    {
        await using var broker = await WithBatchesAsync("t", 1, 0, 10);
        int threadsBefore = Process.GetCurrentProcess().Threads.Count;

        // A fetch the produce did not wake would answer empty after its 30 s wait: the record in every answer says
        // each was woken. The 120 s bound only stops a hang, so a loaded machine cannot fail the test.
        var waiting = Enumerable.Range(0, 500).Select(_ => broker.FetchAsync("t", 0, 0, maxWaitMs: 30_000, minBytes: 1)).ToArray();
        await Task.Delay(200);
        int threadsWaiting = Process.GetCurrentProcess().Threads.Count;
        await broker.ProduceAsync("t", 0, Batches.Create(1, Now));
        FetchResponse[] responses = await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(threadsWaiting - threadsBefore < 50, $"{threadsWaiting - threadsBefore} more threads while 500 fetches wait");
        Assert.All(responses, response => Assert.Single(Batches.Read(Single(response).Records!.Value)));
    }
}
