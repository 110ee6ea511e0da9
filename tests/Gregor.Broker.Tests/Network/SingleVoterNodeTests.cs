using Gregor.Broker.ControlPlane;

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
}
