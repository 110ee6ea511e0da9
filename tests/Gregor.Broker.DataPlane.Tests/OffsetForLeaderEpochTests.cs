using System.Collections.Immutable;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using static Gregor.Protocol.Messages.OffsetForLeaderEpochResponse;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>OffsetForLeaderEpoch as followers and consumers ask it, at every version.</summary>
public sealed class OffsetForLeaderEpochTests
{
    public static TheoryData<short> Versions => [0, 1, 2, 3, 4];

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>
    /// A partition led here through three epochs: offsets 0-1 written at epoch 3, 2-4 at epoch 5, and epoch 6 begun
    /// at offset 5 with nothing written yet (recorded as a new leader records it).
    /// </summary>
    private static async Task<DataPlaneFixture> ThreeEpochsAsync()
    {
        var broker = new DataPlaneFixture();
        TopicImage topic = broker.Metadata.CreateTopic("t");
        Assert.Equal(0, (await broker.ProduceAsync("t", 0, Batches.Create(2, Now)))!.Responses[0].PartitionResponses[0].ErrorCode);
        broker.Metadata.PublishTopic(WithLeaderEpoch(topic, 5));
        Assert.Equal(0, (await broker.ProduceAsync("t", 0, Batches.Create(3, Now)))!.Responses[0].PartitionResponses[0].ErrorCode);
        broker.Metadata.PublishTopic(WithLeaderEpoch(topic, 6));
        var log = broker.Replicas.GetPartition("t", 0)!.Log;
        log.AssignEpochStartOffset(6, log.LogEndOffset);
        return broker;
    }

    private static TopicImage WithLeaderEpoch(TopicImage topic, int epoch) =>
        topic with { Partitions = [.. topic.Partitions.Select(p => p with { LeaderEpoch = epoch })] };

    private static OffsetForLeaderEpochRequest Request(string topic, int partition, int leaderEpoch, int currentLeaderEpoch = -1, int replicaId = -2) => new()
    {
        ReplicaId = replicaId,
        Topics =
        [
            new OffsetForLeaderEpochRequest.OffsetForLeaderTopic
            {
                Topic = topic,
                Partitions = [new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = partition, LeaderEpoch = leaderEpoch, CurrentLeaderEpoch = currentLeaderEpoch }],
            },
        ],
    };

    private static async Task<EpochEndOffset> AskAsync(DataPlaneFixture broker, short version, string topic, int partition, int leaderEpoch,
        int currentLeaderEpoch = -1, int replicaId = -2)
    {
        OffsetForLeaderEpochResponse response = await broker.OffsetForLeaderEpochAsync(Request(topic, partition, leaderEpoch, currentLeaderEpoch, replicaId), version);
        OffsetForLeaderTopicResult result = Assert.Single(response.Topics);
        Assert.Equal(topic, result.Topic);
        EpochEndOffset answer = Assert.Single(result.Partitions);
        Assert.Equal(partition, answer.Partition);
        return answer;
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Each_epoch_ends_where_the_next_one_starts_and_the_latest_at_the_log_end(short version)
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        // v0 has no epoch in its answer: it reads back as the default, -1.
        int Epoch(int epoch) => version >= 1 ? epoch : -1;

        foreach ((int asked, int epoch, long end) in ((int, int, long)[])[
            (3, 3, 2), (4, 3, 2), (5, 5, 5), (6, 6, 5),
            // Below every known epoch: the epoch asked for, ending where the first known one starts.
            (1, 1, 0),
            // Above every known epoch, or undefined: nothing known, and no error.
            (7, -1, -1), (-1, -1, -1)])
        {
            EpochEndOffset answer = await AskAsync(broker, version, "t", 0, asked);
            Assert.Equal((0, Epoch(epoch), end), (answer.ErrorCode, answer.LeaderEpoch, answer.EndOffset));
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_follower_gets_the_same_answer_as_a_consumer(short version)
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        EpochEndOffset answer = await AskAsync(broker, version, "t", 0, 3, replicaId: 2);
        Assert.Equal((0, 2L), (answer.ErrorCode, answer.EndOffset));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task The_current_leader_epoch_is_fenced_from_version_2(short version)
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();

        EpochEndOffset older = await AskAsync(broker, version, "t", 0, 3, currentLeaderEpoch: 5);
        EpochEndOffset newer = await AskAsync(broker, version, "t", 0, 3, currentLeaderEpoch: 7);
        EpochEndOffset current = await AskAsync(broker, version, "t", 0, 3, currentLeaderEpoch: 6);

        // Before v2 the request carries no current epoch, so nothing is fenced.
        Assert.Equal(version >= 2 ? (short)ErrorCode.FencedLeaderEpoch : (short)0, older.ErrorCode);
        Assert.Equal(version >= 2 ? (short)ErrorCode.UnknownLeaderEpoch : (short)0, newer.ErrorCode);
        Assert.Equal((0, 2L), (current.ErrorCode, current.EndOffset));
        if (version >= 2)
            Assert.Equal((-1, -1L), (older.LeaderEpoch, older.EndOffset));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Only_the_leader_answers_and_unknown_partitions_are_errors(short version)
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        broker.Metadata.PublishTopic(new TopicImage("elsewhere", KafkaUuid.NewRandom(Random.Shared),
            [new PartitionImage(0, 2, 4, 0, [2, TestMetadataView.NodeId], [2, TestMetadataView.NodeId])], ImmutableDictionary<string, string>.Empty));

        EpochEndOffset follower = await AskAsync(broker, version, "elsewhere", 0, 4);
        EpochEndOffset noTopic = await AskAsync(broker, version, "nope", 0, 3);
        EpochEndOffset noPartition = await AskAsync(broker, version, "t", 7, 3);

        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, follower.ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, noTopic.ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, noPartition.ErrorCode);
        Assert.All([follower, noTopic, noPartition], answer => Assert.Equal(-1, answer.EndOffset));
    }

    [Fact]
    public async Task Many_partitions_are_answered_each_in_order()
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        var request = Request("t", 0, 3);
        request.Topics[0].Partitions.Add(new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = 1, LeaderEpoch = 3, CurrentLeaderEpoch = -1 });
        request.Topics[0].Partitions.Add(new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = 0, LeaderEpoch = 5, CurrentLeaderEpoch = -1 });

        var partitions = Assert.Single((await broker.OffsetForLeaderEpochAsync(request)).Topics).Partitions;

        Assert.Equal([(0, 0, 2L), (1, (short)ErrorCode.UnknownTopicOrPartition, -1L), (0, 0, 5L)],
            partitions.Select(p => (p.Partition, p.ErrorCode, p.EndOffset)));
    }

    [Fact]
    public async Task The_answer_survives_a_restart()
    {
        await using DataPlaneFixture broker = await ThreeEpochsAsync();
        await broker.RestartAsync();
        EpochEndOffset answer = await AskAsync(broker, 4, "t", 0, 4);
        Assert.Equal((0, 3, 2L), (answer.ErrorCode, answer.LeaderEpoch, answer.EndOffset));
    }
}
