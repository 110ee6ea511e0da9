using System.Collections.Immutable;
using Gregor.Broker.Handlers;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>
/// DescribeCluster answered by a broker of a three-broker cluster whose broker 2 is fenced: at every version it
/// advertises, the unfenced brokers; from v2, asked for them, the fenced ones too, marked (KIP-1073).
/// </summary>
public sealed class DescribeClusterTests
{
    private const string ClusterId = "MkU3OEVBNTcwNTJENDM2Qg";

    /// <summary>Brokers 1-3 (2 fenced, in rack r2), as a broker's image holds them; the image's controller is 1.</summary>
    private static DescribeClusterHandler Handler()
    {
        var brokers = new[]
        {
            new BrokerRegistration(3, "b3", 9094, null),
            new BrokerRegistration(1, "b1", 9092, "r1"),
            new BrokerRegistration(2, "b2", 9093, "r2") { Fenced = true },
        }.ToImmutableDictionary(b => b.NodeId);
        return new DescribeClusterHandler(new MetadataPublisher(MetadataImage.Empty(ClusterId, 1) with { Brokers = brokers }));
    }

    private static Task<DescribeClusterResponse> CallAsync(DescribeClusterRequest request, short version) =>
        BrokerFixture.Call<DescribeClusterRequest, DescribeClusterResponse>(Handler(), request, version);

    public static TheoryData<short> AdvertisedVersions()
    {
        var handler = Handler();
        var versions = new TheoryData<short>();
        for (short v = handler.LowestVersion; v <= handler.HighestVersion; v++) versions.Add(v);
        return versions;
    }

    [Fact]
    public void It_advertises_v0_to_v2() => Assert.Equal((0, 2), (Handler().LowestVersion, Handler().HighestVersion));

    [Theory]
    [MemberData(nameof(AdvertisedVersions))]
    public async Task Without_asking_for_fenced_brokers_only_the_unfenced_are_listed(short version)
    {
        var response = await CallAsync(new DescribeClusterRequest { IncludeClusterAuthorizedOperations = true }, version);

        Assert.Equal((0, ClusterId, 1), (response.ErrorCode, response.ClusterId, response.ControllerId));
        Assert.Equal([(1, "b1", 9092, "r1", false), (3, "b3", 9094, null, false)],
            response.Brokers.Select(b => (b.BrokerId, b.Host, b.Port, b.Rack, b.IsFenced)));
        Assert.NotEqual(int.MinValue, response.ClusterAuthorizedOperations);
    }

    [Fact]
    public async Task From_v2_asking_for_fenced_brokers_lists_every_registered_broker_with_its_fenced_flag()
    {
        var response = await CallAsync(new DescribeClusterRequest { IncludeFencedBrokers = true }, 2);

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal([(1, "b1", 9092, "r1", false), (2, "b2", 9093, "r2", true), (3, "b3", 9094, null, false)],
            response.Brokers.Select(b => (b.BrokerId, b.Host, b.Port, b.Rack, b.IsFenced)));
        Assert.Equal(int.MinValue, response.ClusterAuthorizedOperations);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Below_v2_the_request_cannot_ask_for_fenced_brokers(short version)
    {
        // The field is not on the wire below v2: what the broker reads is false.
        var response = await CallAsync(new DescribeClusterRequest { IncludeFencedBrokers = true }, version);
        Assert.Equal([1, 3], response.Brokers.Select(b => b.BrokerId));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_controllers_are_the_image_controller_whatever_is_asked_about_fenced_brokers(short version)
    {
        var response = await CallAsync(new DescribeClusterRequest { EndpointType = 2, IncludeFencedBrokers = true }, version);
        Assert.Equal((0, (sbyte)2), (response.ErrorCode, response.EndpointType));
        Assert.Equal([(1, false)], response.Brokers.Select(b => (b.BrokerId, b.IsFenced)));

        var unknown = await CallAsync(new DescribeClusterRequest { EndpointType = 9 }, version);
        Assert.Equal((short)ErrorCode.UnsupportedEndpointType, unknown.ErrorCode);
    }
}
