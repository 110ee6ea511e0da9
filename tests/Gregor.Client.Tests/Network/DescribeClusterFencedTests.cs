using Gregor.Client.Admin;

namespace Gregor.Client.Tests.Network;

/// <summary>
/// DescribeClusterAsync with and without fenced brokers, against a broker that speaks DescribeCluster v2 and one
/// that speaks only v0-1: v2 carries the ask and each node's fenced flag; below it, only the unfenced are listed,
/// and the result says the fenced ones are missing.
/// </summary>
public sealed class DescribeClusterFencedTests
{
    private static IAdminClient Admin(ScriptedFencedCluster cluster) => new AdminClientBuilder(new AdminClientConfig
    {
        BootstrapServers = cluster.Bootstrap,
        RetryBackoffMs = 10,
        RequestTimeoutMs = 5000,
    }).Build();

    [Fact]
    public async Task Asked_for_fenced_brokers_a_v2_broker_lists_them_marked()
    {
        await using var cluster = new ScriptedFencedCluster(describeClusterMax: 2);
        using var admin = Admin(cluster);

        var result = await admin.DescribeClusterAsync(new DescribeClusterOptions { IncludeFencedBrokers = true });

        Assert.True(result.IncludesFencedBrokers);
        Assert.Equal([(1, "r1", false), (2, "r2", true), (3, null, false)], result.Nodes.Select(n => (n.Id, n.Rack, n.IsFenced)));
        Assert.Equal(1, result.Controller?.Id);
        var (version, request) = Assert.Single(cluster.DescribeClusterRequests);
        Assert.Equal((2, true, (sbyte)1), (version, request.IncludeFencedBrokers, request.EndpointType));
    }

    [Fact]
    public async Task Not_asked_the_unfenced_brokers_are_listed()
    {
        await using var cluster = new ScriptedFencedCluster(describeClusterMax: 2);
        using var admin = Admin(cluster);

        var result = await admin.DescribeClusterAsync();

        Assert.False(result.IncludesFencedBrokers);
        Assert.Equal([(1, false), (3, false)], result.Nodes.Select(n => (n.Id, n.IsFenced)));
        Assert.False(Assert.Single(cluster.DescribeClusterRequests).Request.IncludeFencedBrokers);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_broker_below_v2_cannot_be_asked_and_the_result_says_fenced_brokers_are_missing(short highest)
    {
        await using var cluster = new ScriptedFencedCluster(describeClusterMax: highest);
        using var admin = Admin(cluster);

        var result = await admin.DescribeClusterAsync(new DescribeClusterOptions { IncludeFencedBrokers = true });

        Assert.False(result.IncludesFencedBrokers);
        Assert.Equal([1, 3], result.Nodes.Select(n => n.Id));
        Assert.Equal(highest, Assert.Single(cluster.DescribeClusterRequests).Version);
    }
}
