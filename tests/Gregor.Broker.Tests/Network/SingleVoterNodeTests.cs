using Gregor.Broker.ControlPlane;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Tests.Network;

/// <summary>A node configured as Kafka's one-voter combined node runs as today's single node and serves its controller listener too.</summary>
public sealed class SingleVoterNodeTests
{
    [Fact]
    public async Task A_single_voter_combined_node_listens_on_the_controller_listener_and_advertises_only_the_client_one()
    {
        await using var broker = await TestBroker.StartAsync([
            "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0", "process.roles=broker,controller", "node.id=1",
            "controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER"]);
        var bound = broker.Host.BoundEndpoints;
        Assert.Equal(["PLAINTEXT", "CONTROLLER"], bound.Select(b => b.Listener));
        using var controller = await RawKafkaConnection.ConnectAsync(bound[1].EndPoint.Port);
        Assert.True(await controller.IsServedAsync());
        Assert.Equal(["PLAINTEXT"], ControlPlaneHost.AdvertisedEndpoints(broker.Host.Config).Select(e => e.ListenerName));
    }

    [Fact]
    public async Task DescribeQuorum_names_it_the_leader_and_its_voter_endpoint_under_the_controller_listener()
    {
        await using var broker = await TestBroker.StartAsync([
            "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0", "process.roles=broker,controller", "node.id=1",
            "controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER"]);
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        var request = new DescribeQuorumRequest
        {
            Topics = [new() { TopicName = "__cluster_metadata", Partitions = [new() { PartitionIndex = 0 }] }],
        };
        await client.SendAsync(RawKafkaConnection.Frame((short)ApiKey.DescribeQuorum, 2, 5, request.Serialize(2)));

        var (correlationId, body) = await client.ReceiveResponseAsync(headerVersion: 1);
        Assert.Equal(5, correlationId);
        var response = DescribeQuorumResponse.Deserialize(body, 2);
        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal((0, 1), (partition.ErrorCode, partition.LeaderId));
        Assert.Equal(1, Assert.Single(partition.CurrentVoters).ReplicaId);
        var listener = Assert.Single(Assert.Single(response.Nodes).Listeners);
        Assert.Equal(("CONTROLLER", "localhost", (ushort)9093), (listener.Name, listener.Host, listener.Port));
    }
}
