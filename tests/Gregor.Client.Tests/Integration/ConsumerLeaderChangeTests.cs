using Gregor.Client.Tests.Network;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Integration;

/// <summary>Leader and coordinator moves, played by two scripted brokers (the in-process broker is a cluster of one).</summary>
public sealed class ConsumerLeaderChangeTests
{
    private static IConsumer<Ignore, string> Consumer(FakeCluster cluster, params (string, string)[] settings)
    {
        var config = new ConsumerConfig { BootstrapServers = cluster.Bootstrap };
        config.Set("fetch.max.wait.ms", "50");
        config.Set("retry.backoff.ms", "20");
        config.Set("metadata.max.age.ms", "600000");
        foreach (var (key, value) in settings) config.Set(key, value);
        return new ConsumerBuilder<Ignore, string>(config).Build();
    }

    [Theory]
    [InlineData(WireErrorCode.NotLeaderOrFollower)]
    [InlineData(WireErrorCode.FencedLeaderEpoch)]
    [InlineData(WireErrorCode.UnknownTopicOrPartition)]
    public async Task A_leader_error_refreshes_metadata_and_fetching_continues_at_the_new_leader_without_gap_or_duplicate(WireErrorCode error)
    {
        await using var cluster = new FakeCluster(records: 30);
        bool moved = false;
        cluster.OnFetch = (node, partition) =>
        {
            if (partition.FetchOffset < 10) return null;
            if (!moved)
            {
                // The leadership moves to broker 1; broker 0 learns it first and says so.
                moved = true;
                cluster.Leader = 1;
                cluster.LeaderEpoch = 2;
                return error;
            }
            return null;
        };
        using var consumer = Consumer(cluster);
        consumer.Assign(new TopicPartitionOffset(FakeCluster.Topic, 0, 0));
        var records = ConsumerTestSupport.Take(consumer, 30);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), records.Select(r => r.Offset.Value));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => "value-" + i), records.Select(r => r.Message.Value));
        Assert.Equal(2, records[^1].LeaderEpoch);

        var atNewLeader = cluster.RequestsTo<FetchRequest>(1, ApiKey.Fetch);
        Assert.NotEmpty(atNewLeader);
        Assert.Equal(10, atNewLeader[0].Topics[0].Partitions[0].FetchOffset);
        Assert.Equal(2, atNewLeader[0].Topics[0].Partitions[0].CurrentLeaderEpoch); // metadata was refreshed before re-routing
        Assert.True(cluster.Count(0, ApiKey.Metadata) + cluster.Count(1, ApiKey.Metadata) >= 2);
    }

    [Fact]
    public async Task Commits_find_the_coordinator_again_after_not_coordinator_and_wait_out_a_load_in_progress()
    {
        await using var cluster = new FakeCluster(records: 0);
        int loads = 0;
        cluster.OnCommit = (node, _) => loads++ == 0 ? WireErrorCode.CoordinatorLoadInProgress : null;
        using var consumer = Consumer(cluster, ("group.id", "g"), ("enable.auto.commit", "false"));
        consumer.Commit([new TopicPartitionOffsetMetadata(FakeCluster.Topic, 0, 17, 4, "meta")]);
        Assert.Equal(1, cluster.Count(0, ApiKey.FindCoordinator) + cluster.Count(1, ApiKey.FindCoordinator));
        Assert.Equal(2, cluster.Count(0, ApiKey.OffsetCommit)); // load in progress, then stored

        cluster.Coordinator = 1; // moves: broker 0 now answers NOT_COORDINATOR
        consumer.Commit([new TopicPartitionOffset(FakeCluster.Topic, 0, 18)]);
        Assert.Equal(2, cluster.Count(0, ApiKey.FindCoordinator) + cluster.Count(1, ApiKey.FindCoordinator));
        var atNew = cluster.RequestsTo<OffsetCommitRequest>(1, ApiKey.OffsetCommit).Single();
        Assert.Equal(18, atNew.Topics[0].Partitions[0].CommittedOffset);

        // A standalone consumer commits as no member: generation -1, no member id, no instance id; epoch and metadata go along.
        var first = cluster.RequestsTo<OffsetCommitRequest>(0, ApiKey.OffsetCommit)[0];
        Assert.Equal(("g", -1, "", (string?)null), (first.GroupId, first.GenerationIdOrMemberEpoch, first.MemberId, first.GroupInstanceId));
        Assert.Equal((17L, 4, "meta"), (first.Topics[0].Partitions[0].CommittedOffset, first.Topics[0].Partitions[0].CommittedLeaderEpoch, first.Topics[0].Partitions[0].CommittedMetadata));
    }

    private sealed class Member : Gregor.Client.Consumer.IGroupMemberIdentityProvider
    {
        public List<(WireErrorCode, Gregor.Client.Consumer.GroupMemberIdentity)> Refusals { get; } = [];

        public Gregor.Client.Consumer.GroupMemberIdentity Current { get; } = new(5, "member-1", "instance-1");

        public bool TryGetCurrent(out Gregor.Client.Consumer.GroupMemberIdentity identity)
        {
            identity = Current;
            return true;
        }

        public KafkaException? OnCommitError(WireErrorCode code, Gregor.Client.Consumer.GroupMemberIdentity used)
        {
            Refusals.Add((code, used));
            return new KafkaException(new Error(ErrorCode.Local_State, "commit refused: rebalanced"));
        }
    }

    [Fact]
    public async Task Commits_carry_the_identity_group_membership_provides_and_its_verdict_on_a_refusal()
    {
        await using var cluster = new FakeCluster(records: 0);
        cluster.OnCommit = (_, request) => request.GenerationIdOrMemberEpoch == 5 ? WireErrorCode.IllegalGeneration : null;
        using var consumer = Consumer(cluster, ("group.id", "g"), ("enable.auto.commit", "false"));
        var member = new Member();
        ((Gregor.Client.Consumer.Consumer<Ignore, string>)consumer).Core.Identity = member;
        var refused = Assert.Throws<KafkaException>(() => consumer.Commit([new TopicPartitionOffset(FakeCluster.Topic, 0, 3)]));
        Assert.Equal("commit refused: rebalanced", refused.Error.Reason);
        Assert.Equal((WireErrorCode.IllegalGeneration, member.Current), member.Refusals.Single());
        var sent = cluster.RequestsTo<OffsetCommitRequest>(0, ApiKey.OffsetCommit).Single();
        Assert.Equal((5, "member-1", "instance-1"), (sent.GenerationIdOrMemberEpoch, sent.MemberId, sent.GroupInstanceId));
    }
}
