using Gregor.Broker.Configuration;
using Gregor.Broker.Handlers;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>DescribeCluster answered by a controller of a three-voter quorum, as Kafka's controllers answer it (KIP-919).</summary>
public sealed class ControllerDescribeClusterTests
{
    private const string ClusterId = "MkU3OEVBNTcwNTJENDM2Qg";

    private sealed class FixedLeader(int leaderId) : IQuorumLeader
    {
        public Task<int> LeaderIdAsync() => Task.FromResult(leaderId);
    }

    /// <summary>Node 1 of voters 1-3; its image still says node 1, the node it was made for, which is not the leader.</summary>
    private static ControllerDescribeClusterHandler Handler(int leaderId) => new(
        new MetadataPublisher(MetadataImage.Empty(ClusterId, 1)),
        new FixedLeader(leaderId),
        new BrokerConfig
        {
            NodeId = 1,
            Quorum = new QuorumSettings
            {
                Roles = ProcessRoles.Controller,
                Voters = [new QuorumVoter(3, "c3", 9095), new QuorumVoter(1, "c1", 9093), new QuorumVoter(2, "c2", 9094)],
                ControllerListenerNames = ["CONTROLLER"],
            },
        });

    private static Task<DescribeClusterResponse> CallAsync(int leaderId, DescribeClusterRequest request, short version) =>
        BrokerFixture.Call<DescribeClusterRequest, DescribeClusterResponse>(Handler(leaderId), request, version);

    [Fact]
    public void It_advertises_v0_to_v2() => Assert.Equal((0, 2), (Handler(3).LowestVersion, Handler(3).HighestVersion));

    [Theory]
    [InlineData(3, 1, false)]
    [InlineData(-1, 1, false)]
    [InlineData(3, 2, false)]
    [InlineData(3, 2, true)]
    public async Task The_controllers_are_the_voters_and_the_controller_is_the_quorum_leader(int leaderId, short version, bool includeFenced)
    {
        var response = await CallAsync(leaderId,
            new DescribeClusterRequest { EndpointType = 2, IncludeClusterAuthorizedOperations = true, IncludeFencedBrokers = includeFenced }, version);

        Assert.Equal((0, (sbyte)2, ClusterId, leaderId), (response.ErrorCode, response.EndpointType, response.ClusterId, response.ControllerId));
        // No controller is fenced: asking for fenced brokers changes nothing.
        Assert.Equal([(1, "c1", 9093, false), (2, "c2", 9094, false), (3, "c3", 9095, false)],
            response.Brokers.Select(b => (b.BrokerId, b.Host, b.Port, b.IsFenced)));
        Assert.All(response.Brokers, b => Assert.Null(b.Rack));
        Assert.NotEqual(int.MinValue, response.ClusterAuthorizedOperations);
    }

    [Fact]
    public async Task Asking_a_controller_for_the_brokers_is_a_mismatched_endpoint_type_or_in_v0_an_invalid_request()
    {
        var v1 = await CallAsync(3, new DescribeClusterRequest { EndpointType = 1 }, 1);
        Assert.Equal((short)ErrorCode.MismatchedEndpointType, v1.ErrorCode);
        Assert.Empty(v1.Brokers);
        Assert.Equal(-1, v1.ControllerId);

        // v0 has no endpoint type: it asks for the brokers.
        var v0 = await CallAsync(3, new DescribeClusterRequest(), 0);
        Assert.Equal((short)ErrorCode.InvalidRequest, v0.ErrorCode);

        var unknown = await CallAsync(3, new DescribeClusterRequest { EndpointType = 9 }, 1);
        Assert.Equal((short)ErrorCode.UnsupportedEndpointType, unknown.ErrorCode);

        var v2 = await CallAsync(3, new DescribeClusterRequest { EndpointType = 1, IncludeFencedBrokers = true }, 2);
        Assert.Equal((short)ErrorCode.MismatchedEndpointType, v2.ErrorCode);
        Assert.Empty(v2.Brokers);
    }

    [Fact]
    public async Task A_quorum_member_whose_log_is_not_open_knows_no_leader() =>
        Assert.Equal(-1, await new ReplicatedQuorumStatus().LeaderIdAsync());
}
