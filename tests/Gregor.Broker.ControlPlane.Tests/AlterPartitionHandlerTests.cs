using Gregor.Broker.Handlers.Brokers;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using AlterPartitionRequest = Gregor.Protocol.Messages.AlterPartitionRequest;
using Registration = Gregor.Metadata.Controller.BrokerRegistrationRequest;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>
/// AlterPartition as a partition leader sends it to the active controller (the single node's own; the node, broker 1,
/// leads a partition replicated on brokers 1, 2 and 3), at every version, read back off the wire.
/// </summary>
public sealed class AlterPartitionHandlerTests : IDisposable
{
    private readonly BrokerFixture _f = new();
    private readonly Random _random = new(9);

    public void Dispose() => _f.Dispose();

    private MetadataImage Image => _f.Publisher.Current;

    private static async Task<AlterPartitionResponse> CallAsync(QuorumController controller, AlterPartitionRequest request, short version)
    {
        var response = await BrokerFixture.Call<AlterPartitionRequest, AlterPartitionResponse>(new AlterPartitionHandler(controller), request, version);
        byte[] encoded = new byte[response.Size(version)];
        var writer = new ProtocolWriter(encoded);
        response.Write(ref writer, version);
        var reader = new ProtocolReader(encoded);
        return AlterPartitionResponse.Read(ref reader, version);
    }

    /// <summary>Brokers 2 and 3 registered and unfenced, and topic "t" of one partition on 1, 2, 3 (1 leads).</summary>
    private async Task<KafkaUuid> ReplicatedTopicAsync()
    {
        foreach (int id in new[] { 2, 3 })
        {
            var registered = await _f.Controller.RegisterBrokerAsync(new Registration(id, Image.ClusterId, KafkaUuid.NewRandom(_random),
                [new BrokerEndpointInfo("PLAINTEXT", $"broker{id}", 9092, 0)], null));
            Assert.Equal(ErrorCode.None, registered.Error);
            var heartbeat = await _f.Controller.BrokerHeartbeatAsync(new BrokerHeartbeat(id, registered.BrokerEpoch, Image.Offset, false, false));
            Assert.False(heartbeat.IsFenced);
        }
        var created = await _f.Controller.CreateTopicsAsync([new NewTopic("t", -1, -1, [new PartitionAssignment(0, [1, 2, 3])], [])], validateOnly: false);
        Assert.Equal(ErrorCode.None, created.Single().Error);
        return created.Single().TopicId;
    }

    private AlterPartitionRequest Request(KafkaUuid topicId, short version, int[] isr, int? partitionEpoch = null, long? brokerEpoch = null)
    {
        var p = Image.Topic("t")!.Partitions[0];
        var partition = new AlterPartitionRequest.AlterPartitionPartition
        {
            PartitionIndex = 0,
            LeaderEpoch = p.LeaderEpoch,
            PartitionEpoch = partitionEpoch ?? p.PartitionEpoch,
            LeaderRecoveryState = 0,
        };
        if (version >= 3) partition.NewIsrWithEpochs = [.. isr.Select(id => new AlterPartitionRequest.BrokerState { BrokerId = id, BrokerEpoch = Image.Brokers[id].Epoch })];
        else partition.NewIsr = [.. isr];
        var topic = new AlterPartitionRequest.AlterPartitionTopic { TopicName = "t", TopicId = topicId, Partitions = [partition] };
        return new AlterPartitionRequest { BrokerId = 1, BrokerEpoch = brokerEpoch ?? Image.Brokers[1].Epoch, Topics = [topic] };
    }

    [Fact]
    public void The_handler_advertises_every_version_of_its_schema()
    {
        var handler = new AlterPartitionHandler(_f.Controller);
        Assert.Equal((ApiKey.AlterPartition, 0, 3), (handler.Api, (int)handler.LowestVersion, (int)handler.HighestVersion));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_leader_shrinks_then_expands_its_isr_and_a_stale_partition_epoch_is_refused(short version)
    {
        var topicId = await ReplicatedTopicAsync();

        var shrunk = await CallAsync(_f.Controller, Request(topicId, version, [1, 2]), version);
        Assert.Equal((short)0, shrunk.ErrorCode);
        var topic = Assert.Single(shrunk.Topics);
        if (version >= 2) Assert.Equal(topicId, topic.TopicId);
        else Assert.Equal("t", topic.TopicName);
        var result = Assert.Single(topic.Partitions);
        Assert.Equal(((short)0, 1, 0, 1), (result.ErrorCode, result.LeaderId, result.LeaderEpoch, result.PartitionEpoch));
        Assert.Equal([1, 2], result.Isr);
        Assert.Equal([1, 2], Image.Topic("t")!.Partitions[0].Isr.ToArray());

        var stale = await CallAsync(_f.Controller, Request(topicId, version, [1, 2, 3], partitionEpoch: 0), version);
        Assert.Equal((short)ErrorCode.InvalidUpdateVersion, Assert.Single(Assert.Single(stale.Topics).Partitions).ErrorCode);

        var expanded = await CallAsync(_f.Controller, Request(topicId, version, [1, 2, 3]), version);
        var back = Assert.Single(Assert.Single(expanded.Topics).Partitions);
        Assert.Equal(((short)0, 2), (back.ErrorCode, back.PartitionEpoch));
        Assert.Equal([1, 2, 3], back.Isr);
    }

    [Fact]
    public async Task A_stale_sender_epoch_and_an_inactive_controller_fail_the_whole_request()
    {
        var topicId = await ReplicatedTopicAsync();
        var stale = await CallAsync(_f.Controller, Request(topicId, 3, [1, 2], brokerEpoch: 12345), 3);
        Assert.Equal(((short)ErrorCode.StaleBrokerEpoch, 0), (stale.ErrorCode, stale.Topics.Count));

        using var standby = new QuorumController(new MetadataPublisher(MetadataImage.Empty(Image.ClusterId, 1)), new ControllerSettings(1),
            TimeProvider.System, new Random(1));
        var refused = await CallAsync(standby, Request(topicId, 2, [1, 2]), 2);
        Assert.Equal((short)ErrorCode.NotController, refused.ErrorCode);
        Assert.Equal([1, 2, 3], Image.Topic("t")!.Partitions[0].Isr.ToArray());
    }
}
