using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Broker.Handlers;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Raft;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>DescribeQuorum over the node's real metadata log (a quorum of one), at every version, read back off the wire.</summary>
public sealed class QuorumHandlerTests : IDisposable
{
    private readonly BrokerFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static DescribeQuorumRequest Ask(params (string Topic, int[] Partitions)[] topics) => new()
    {
        Topics = [.. topics.Select(t => new DescribeQuorumRequest.TopicData
        {
            TopicName = t.Topic,
            Partitions = [.. t.Partitions.Select(p => new DescribeQuorumRequest.PartitionData { PartitionIndex = p })],
        })],
    };

    private static DescribeQuorumRequest AskMetadata() => Ask(("__cluster_metadata", [0]));

    /// <summary>The handler's answer as a client reads it: encoded and decoded in the version asked.</summary>
    private static readonly ControllerForwarder Forwarder = new(new QuorumController(new MetadataPublisher(MetadataImage.Empty("c", 1)), new ControllerSettings(1), TimeProvider.System, new Random(1)));

    private static async Task<DescribeQuorumResponse> CallAsync(IQuorumStatus quorum, BrokerConfig config, DescribeQuorumRequest request, short version)
    {
        var response = await BrokerFixture.Call<DescribeQuorumRequest, DescribeQuorumResponse>(new DescribeQuorumHandler(quorum, config, Forwarder), request, version);
        byte[] encoded = new byte[response.Size(version)];
        var writer = new ProtocolWriter(encoded);
        response.Write(ref writer, version);
        return DescribeQuorumResponse.Deserialize(encoded, version);
    }

    private Task<DescribeQuorumResponse> CallAsync(DescribeQuorumRequest request, short version) => CallAsync(_f.Quorum, _f.Config, request, version);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_leader_describes_itself_as_the_only_voter_at_every_version(short version)
    {
        await Task.Delay(20); // so that the time of the question is after the node's last metadata write
        long asked = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var response = await CallAsync(AskMetadata(), version);
        long answeredBy = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Equal(0, response.ErrorCode);
        var topic = Assert.Single(response.Topics);
        Assert.Equal("__cluster_metadata", topic.TopicName);
        var partition = Assert.Single(topic.Partitions);
        Assert.Equal((0, (short)0), (partition.PartitionIndex, partition.ErrorCode));
        Assert.Equal(1, partition.LeaderId);
        Assert.True(partition.LeaderEpoch >= 1, $"epoch {partition.LeaderEpoch}");
        // The node registered itself at start, so the log holds more than the leader-change batch, all of it committed.
        Assert.True(partition.HighWatermark > 1, $"high watermark {partition.HighWatermark}");
        var voter = Assert.Single(partition.CurrentVoters);
        Assert.Equal((1, partition.HighWatermark), (voter.ReplicaId, voter.LogEndOffset));
        Assert.Empty(partition.Observers);

        if (version == 0)
        {
            // Not in v0: read back as the defaults.
            Assert.Equal((-1L, -1L), (voter.LastFetchTimestamp, voter.LastCaughtUpTimestamp));
        }
        else
        {
            // As Kafka's leader: caught up with itself at the time of the question, on the wall clock.
            Assert.InRange(voter.LastFetchTimestamp, asked, answeredBy);
            Assert.InRange(voter.LastCaughtUpTimestamp, asked, answeredBy);
        }

        if (version < 2)
        {
            Assert.Empty(response.Nodes);
        }
        else
        {
            // Gregor's implicit single node: the voter is reached at this node's advertised listener.
            var node = Assert.Single(response.Nodes);
            Assert.Equal(1, node.NodeId);
            var listener = Assert.Single(node.Listeners);
            Assert.Equal(("PLAINTEXT", "127.0.0.1", (ushort)19092), (listener.Name, listener.Host, listener.Port));
            Assert.Null(partition.ErrorMessage);
        }
    }

    [Fact]
    public async Task The_high_watermark_follows_the_metadata_log()
    {
        long before = (await CallAsync(AskMetadata(), 1)).Topics[0].Partitions[0].HighWatermark;
        await _f.Controller.CreateTopicsAsync([new Gregor.Metadata.Controller.NewTopic("t", 1, 1, [], [])], false);
        var after = (await CallAsync(AskMetadata(), 1)).Topics[0].Partitions[0];
        Assert.True(after.HighWatermark > before, $"{after.HighWatermark} after {before}");
        Assert.Equal(after.HighWatermark, Assert.Single(after.CurrentVoters).LogEndOffset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Anything_but_the_metadata_partition_alone_is_an_unknown_topic_or_partition_on_each_partition_named(short version)
    {
        foreach (var request in new[]
        {
            Ask(("orders", [0])),
            Ask(("__cluster_metadata", [1])),
            Ask(("__cluster_metadata", [0, 1])),
            Ask(("__cluster_metadata", [0]), ("orders", [3])),
        })
        {
            var response = await CallAsync(request, version);
            Assert.Equal(0, response.ErrorCode);
            Assert.Equal(request.Topics.Select(t => t.TopicName), response.Topics.Select(t => t.TopicName));
            Assert.Equal(request.Topics.SelectMany(t => t.Partitions).Select(p => p.PartitionIndex),
                response.Topics.SelectMany(t => t.Partitions).Select(p => p.PartitionIndex));
            Assert.All(response.Topics.SelectMany(t => t.Partitions), p =>
            {
                Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, p.ErrorCode);
                Assert.Empty(p.CurrentVoters);
            });
            Assert.Empty(response.Nodes);
        }
        Assert.Empty((await CallAsync(Ask(), version)).Topics);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_node_that_does_not_lead_the_quorum_answers_not_leader_or_follower(short version)
    {
        // A status with no log attached (as before the control plane starts) has no quorum this node leads.
        var response = await CallAsync(new MetadataQuorumStatus(TimeProvider.System), _f.Config, AskMetadata(), version);
        Assert.Equal(0, response.ErrorCode);
        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, partition.ErrorCode);
        Assert.Equal(-1, partition.LeaderId);
        Assert.Empty(partition.CurrentVoters);
        Assert.Empty(response.Nodes);
    }

    [Fact]
    public async Task Voters_and_observers_are_reported_with_static_voters_endpoints_under_the_controller_listener_name()
    {
        var config = _f.Config with
        {
            Quorum = new QuorumSettings
            {
                Voters = [new QuorumVoter(1, "c1.example", 9093), new QuorumVoter(2, "c2.example", 9094)],
                ControllerListenerNames = ["CONTROLLER"],
            },
        };
        var quorum = new FixedQuorum(new QuorumDescription(1, 7, 120,
            [new ReplicaProgress(1, true, 120, 5_000, 5_000), new ReplicaProgress(2, true, 100, 4_900, 4_000)],
            [new ReplicaProgress(5, false, 90, 4_950, -1)]));

        var response = await CallAsync(quorum, config, AskMetadata(), 2);
        var partition = response.Topics[0].Partitions[0];
        Assert.Equal((1, 7, 120L), (partition.LeaderId, partition.LeaderEpoch, partition.HighWatermark));
        Assert.Equal([(1, 120L, 5_000L, 5_000L), (2, 100L, 4_900L, 4_000L)],
            partition.CurrentVoters.Select(v => (v.ReplicaId, v.LogEndOffset, v.LastFetchTimestamp, v.LastCaughtUpTimestamp)));
        Assert.Equal([(5, 90L, 4_950L, -1L)], partition.Observers.Select(o => (o.ReplicaId, o.LogEndOffset, o.LastFetchTimestamp, o.LastCaughtUpTimestamp)));
        // Kafka lists only the voters' endpoints.
        Assert.Equal([(1, "CONTROLLER", "c1.example", (ushort)9093), (2, "CONTROLLER", "c2.example", (ushort)9094)],
            response.Nodes.Select(n => (n.NodeId, Assert.Single(n.Listeners).Name, n.Listeners[0].Host, n.Listeners[0].Port)));
    }

    private sealed class FixedQuorum(QuorumDescription? description) : IQuorumStatus
    {
        public QuorumDescription? Describe() => description;
    }
}
