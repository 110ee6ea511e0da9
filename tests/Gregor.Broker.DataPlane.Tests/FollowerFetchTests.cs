using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>
/// The leader's side of replication through the real handlers: a follower's fetch (replica id ≥ 0) reads past the
/// high watermark and moves it, acks=all waits for the followers and fails when leadership goes, and a follower's long
/// poll wakes on new data.
/// </summary>
public sealed class FollowerFetchTests
{
    private const int Leader = TestMetadataView.NodeId;
    private const int Follower = 2;
    private const short ReplicaStateVersion = 15;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static ProduceResponse.PartitionProduceResponse Single(ProduceResponse? response) =>
        Assert.Single(Assert.Single(response!.Responses).PartitionResponses);

    /// <summary>A topic led here at <paramref name="epoch"/> with replicas 1 and 2, both in the ISR.</summary>
    private static TopicImage Replicated(DataPlaneFixture broker, string name, int epoch = 3, int leader = Leader, int[]? isr = null)
    {
        TopicImage topic = broker.Metadata.Current.Topic(name) ?? broker.Metadata.CreateTopic(name);
        topic = topic with { Partitions = [new PartitionImage(0, leader, epoch, epoch, [Leader, Follower], [.. isr ?? [Leader, Follower]])] };
        broker.Metadata.PublishTopic(topic);
        return topic;
    }

    private static FetchRequest FollowerFetch(TopicImage topic, long offset, int replicaId = Follower, int maxWaitMs = 0, int epoch = 3)
    {
        var request = new FetchRequest
        {
            ReplicaState = new FetchRequest.ReplicaStateData { ReplicaId = replicaId, ReplicaEpoch = 1 },
            MaxWaitMs = maxWaitMs,
            MinBytes = 1,
            MaxBytes = 1024 * 1024,
            SessionEpoch = -1,
        };
        request.Topics.Add(new FetchRequest.FetchTopic
        {
            Topic = topic.Name,
            TopicId = topic.Id,
            Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = offset, CurrentLeaderEpoch = epoch, PartitionMaxBytes = 1024 * 1024 }],
        });
        return request;
    }

    private static FetchResponse.PartitionData Part(FetchResponse response) => Assert.Single(Assert.Single(response.Responses).Partitions);

    [Fact]
    public async Task A_followers_fetch_reads_past_the_high_watermark_and_its_next_fetch_moves_it_completing_acks_all()
    {
        await using var broker = new DataPlaneFixture();
        TopicImage topic = Replicated(broker, "r");

        Task<ProduceResponse?> produce = broker.ProduceAsync("r", 0, Batches.Create(3, Now), acks: -1, timeoutMs: 30_000);
        var partition = broker.Replicas.GetPartition("r", 0)!;
        await WaitUntil(() => partition.Log.LogEndOffset == 3);
        Assert.Equal(0, partition.Log.HighWatermark);

        // A consumer sees nothing yet; the follower sees all three records.
        var consumer = Part(await broker.FetchAsync("r", 0, 0, version: 11));
        Assert.Equal(0, consumer.Records!.Value.Length);
        var first = Part(await broker.FetchAsync(FollowerFetch(topic, 0), ReplicaStateVersion));
        Assert.Equal(0, first.ErrorCode);
        Assert.Equal(3, Batches.Read(first.Records!.Value).Count);
        Assert.False(produce.IsCompleted);

        // Fetching from 3 says the follower has 0-2: the high watermark moves and acks=all is answered.
        var second = Part(await broker.FetchAsync(FollowerFetch(topic, 3), ReplicaStateVersion));
        Assert.Equal(3, second.HighWatermark);
        Assert.Equal(3, partition.Log.HighWatermark);
        var answered = Single(await produce.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, answered.ErrorCode);
        Assert.Equal(0, answered.BaseOffset);
    }

    [Fact]
    public async Task A_fetch_from_a_broker_that_holds_no_replica_or_names_an_old_epoch_is_refused()
    {
        await using var broker = new DataPlaneFixture();
        TopicImage topic = Replicated(broker, "r");

        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, Part(await broker.FetchAsync(FollowerFetch(topic, 0, replicaId: 7), ReplicaStateVersion)).ErrorCode);
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, Part(await broker.FetchAsync(FollowerFetch(topic, 0, epoch: 2), ReplicaStateVersion)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownLeaderEpoch, Part(await broker.FetchAsync(FollowerFetch(topic, 0, epoch: 4), ReplicaStateVersion)).ErrorCode);
        Assert.Equal(0, Part(await broker.FetchAsync(FollowerFetch(topic, 0), ReplicaStateVersion)).ErrorCode);
    }

    [Fact]
    public async Task A_followers_long_poll_wakes_on_new_data_at_the_leader_not_only_on_the_high_watermark()
    {
        await using var broker = new DataPlaneFixture();
        TopicImage topic = Replicated(broker, "r");

        var started = System.Diagnostics.Stopwatch.StartNew();
        Task<FetchResponse> poll = broker.FetchAsync(FollowerFetch(topic, 0, maxWaitMs: 20_000), ReplicaStateVersion);
        await Task.Delay(100);
        Assert.False(poll.IsCompleted);
        _ = broker.ProduceAsync("r", 0, Batches.Create(2, Now), acks: -1, timeoutMs: 30_000);

        var woken = Part(await poll.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, Batches.Read(woken.Records!.Value).Count);
        Assert.True(started.ElapsedMilliseconds < 15_000);
    }

    [Fact]
    public async Task Acks_all_waiting_for_a_follower_is_answered_not_leader_when_leadership_moves_never_success()
    {
        await using var broker = new DataPlaneFixture();
        Replicated(broker, "r");

        Task<ProduceResponse?> produce = broker.ProduceAsync("r", 0, Batches.Create(1, Now), acks: -1, timeoutMs: 30_000);
        var partition = broker.Replicas.GetPartition("r", 0)!;
        await WaitUntil(() => partition.Log.LogEndOffset == 1);
        // The follower takes over at epoch 4 (as if this broker were cut off).
        Replicated(broker, "r", epoch: 4, leader: Follower);

        var answered = Single(await produce.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, answered.ErrorCode);
    }

    [Fact]
    public async Task A_leaders_append_is_stamped_with_the_epoch_it_leads_at_and_a_deposed_leader_appends_nothing()
    {
        await using var broker = new DataPlaneFixture();
        Replicated(broker, "stamp", epoch: 7);
        var partition = broker.Replicas.GetPartition("stamp", 0)!;

        var appended = partition.AppendAsLeader(Batches.Create(2, Now), 9, Now);
        Assert.Equal((ErrorCode.None, 7), (appended.Error, appended.LeaderEpoch));
        Assert.Equal(7, partition.Log.LatestEpoch);

        // Deposed: the image now names the follower at epoch 8; nothing may be written here, least of all under epoch 8.
        Replicated(broker, "stamp", epoch: 8, leader: Follower);
        var refused = partition.AppendAsLeader(Batches.Create(1, Now), 9, Now);
        Assert.Equal((ErrorCode.NotLeaderOrFollower, -1), (refused.Error, refused.LeaderEpoch));
        Assert.Equal((2L, 7), (partition.Log.LogEndOffset, partition.Log.LatestEpoch));
    }

    [Fact]
    public async Task A_consumers_long_poll_is_woken_and_refused_when_leadership_moves()
    {
        await using var broker = new DataPlaneFixture();
        Replicated(broker, "r");

        Task<FetchResponse> poll = broker.FetchAsync("r", 0, 0, maxWaitMs: 20_000, minBytes: 1);
        await Task.Delay(100);
        Replicated(broker, "r", epoch: 4, leader: Follower);

        var refused = Part(await poll.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, refused.ErrorCode);
    }

    [Fact]
    public async Task After_the_isr_fell_below_min_insync_the_high_watermark_holds_and_acks_all_times_out()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("r", configs: new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        TopicImage topic = Replicated(broker, "r");

        Task<ProduceResponse?> produce = broker.ProduceAsync("r", 0, Batches.Create(1, Now), acks: -1, timeoutMs: 1500);
        var partition = broker.Replicas.GetPartition("r", 0)!;
        await WaitUntil(() => partition.Log.LogEndOffset == 1);
        // The controller commits a shrink to the leader alone (partition epoch up). Below min.insync.replicas the
        // leader's record alone is not committed (KIP-966): the high watermark stays, and the append is never acknowledged.
        broker.Metadata.PublishTopic(topic with { Partitions = [new PartitionImage(0, Leader, 3, 4, [Leader, Follower], [Leader])] });

        var answered = Single(await produce.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((short)ErrorCode.RequestTimedOut, answered.ErrorCode);
        Assert.Equal(0, partition.Log.HighWatermark);
        // The next one is refused before the append; acks=1 is still answered at the append.
        var refused = Single(await broker.ProduceAsync("r", 0, Batches.Create(1, Now), acks: -1));
        Assert.Equal((short)ErrorCode.NotEnoughReplicas, refused.ErrorCode);
        var acksOne = Single(await broker.ProduceAsync("r", 0, Batches.Create(1, Now), acks: 1));
        Assert.Equal(0, acksOne.ErrorCode);
        Assert.Equal(1, acksOne.BaseOffset);
        Assert.Equal(0, partition.Log.HighWatermark);
    }

    [Fact]
    public async Task A_follower_whose_last_fetched_epoch_the_leader_ended_earlier_is_told_where_to_truncate()
    {
        await using var broker = new DataPlaneFixture();
        TopicImage topic = Replicated(broker, "r", epoch: 3);
        Assert.Equal(0, Single(await broker.ProduceAsync("r", 0, Batches.Create(3, Now), acks: 1)).ErrorCode);
        // Leader again at epoch 5 (epoch 4 was another broker's and wrote nothing here): epoch 5 starts at 3.
        topic = Replicated(broker, "r", epoch: 5);
        Assert.Equal(0, Single(await broker.ProduceAsync("r", 0, Batches.Create(2, Now), acks: 1)).ErrorCode);

        // A follower that wrote offsets 3.. in epoch 4 (as its leader, unreplicated) must cut back to 3.
        FetchRequest request = FollowerFetch(topic, 5, epoch: 5);
        request.Topics[0].Partitions[0].LastFetchedEpoch = 4;
        var diverged = Part(await broker.FetchAsync(request, ReplicaStateVersion));
        Assert.Equal(0, diverged.ErrorCode);
        Assert.Equal(3, diverged.DivergingEpoch!.Epoch);
        Assert.Equal(3, diverged.DivergingEpoch.EndOffset);
        Assert.Equal(0, diverged.Records!.Value.Length);
        Assert.Equal(0, broker.Replicas.GetPartition("r", 0)!.Log.HighWatermark); // no fetch state recorded

        // One that has epoch 3 up to 3 agrees and gets the records of epoch 5.
        request = FollowerFetch(topic, 3, epoch: 5);
        request.Topics[0].Partitions[0].LastFetchedEpoch = 3;
        var agreed = Part(await broker.FetchAsync(request, ReplicaStateVersion));
        Assert.Null(agreed.DivergingEpoch);
        Assert.Equal(2, Batches.Read(agreed.Records!.Value).Count);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(10);
        }
    }
}
