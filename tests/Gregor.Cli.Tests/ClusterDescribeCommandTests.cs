using System.Text.Json;
using Gregor.Client.Tests.Network;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Cli.Tests;

/// <summary>
/// gregor cluster describe against a scripted broker 1 of a three-broker cluster whose broker 2 is fenced and whose
/// metadata quorum is led by 3: every registered broker with its fenced flag, and the quorum's leader as controller,
/// or, when the quorum cannot be described, the controller DescribeCluster names (the answering broker), said so.
/// </summary>
public sealed class ClusterDescribeCommandTests
{
    private static (int Id, string Host, int Port, string? Rack, bool Fenced, bool IsController) Broker(JsonElement b) =>
        (b.GetProperty("id").GetInt32(), b.GetProperty("host").GetString()!, b.GetProperty("port").GetInt32(),
            b.GetProperty("rack").GetString(), b.GetProperty("fenced").GetBoolean(), b.GetProperty("isController").GetBoolean());

    [Fact]
    public async Task Fenced_brokers_are_listed_and_the_controller_is_the_quorum_leader()
    {
        await using var cluster = new ScriptedFencedCluster(describeClusterMax: 2);

        var text = await CliRun.RunAsync(cluster.Bootstrap, "cluster", "describe");
        text.AssertOk();
        Assert.Equal("", text.Error);
        Assert.Contains("ClusterId: scripted  Controller: 3 (metadata quorum leader)", text.Out, StringComparison.Ordinal);
        Assert.Matches(@"1\s*│\s*127\.0\.0\.1\s*│\s*" + cluster.Port + @"\s*│\s*r1\s*│\s*false\s*│\s*│", text.Out);
        Assert.Matches(@"2\s*│\s*127\.0\.0\.1\s*│\s*2\s*│\s*r2\s*│\s*true\s*│\s*│", text.Out);
        Assert.Matches(@"3\s*│\s*127\.0\.0\.1\s*│\s*1\s*│\s*-\s*│\s*false\s*│\s*yes\s*│", text.Out);

        var json = (await CliRun.RunAsync(cluster.Bootstrap, "cluster", "describe", "-o", "json")).Json();
        Assert.Equal(("scripted", 3, "metadataQuorum", true), (json.GetProperty("clusterId").GetString(), json.GetProperty("controllerId").GetInt32(),
            json.GetProperty("controllerSource").GetString(), json.GetProperty("fencedBrokersIncluded").GetBoolean()));
        Assert.Equal([(1, "127.0.0.1", cluster.Port, "r1", false, false), (2, "127.0.0.1", 2, "r2", true, false), (3, "127.0.0.1", 1, null, false, true)],
            json.GetProperty("brokers").EnumerateArray().Select(Broker));
        Assert.All(cluster.DescribeClusterRequests, r => Assert.Equal((2, true), (r.Version, r.Request.IncludeFencedBrokers)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Without_a_described_quorum_the_controller_is_the_one_DescribeCluster_names_and_stderr_says_so(bool quorumAdvertised)
    {
        await using var cluster = new ScriptedFencedCluster(describeClusterMax: 2, describeQuorum: quorumAdvertised) { QuorumError = WireErrorCode.NotLeaderOrFollower };

        var text = await CliRun.RunAsync(cluster.Bootstrap, "cluster", "describe");
        text.AssertOk();
        Assert.Contains("Controller: 1 (as DescribeCluster names it)", text.Out, StringComparison.Ordinal);
        Assert.Matches(@"1\s*│\s*127\.0\.0\.1\s*│\s*" + cluster.Port + @"\s*│\s*r1\s*│\s*false\s*│\s*yes\s*│", text.Out);
        Assert.Contains("the metadata quorum could not be described", text.Error, StringComparison.Ordinal);

        var json = (await CliRun.RunAsync(cluster.Bootstrap, "cluster", "describe", "-o", "json")).Json();
        Assert.Equal((1, "describeCluster"), (json.GetProperty("controllerId").GetInt32(), json.GetProperty("controllerSource").GetString()));
        Assert.Equal([1, 2, 3], json.GetProperty("brokers").EnumerateArray().Select(b => b.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task A_broker_below_DescribeCluster_v2_lists_the_unfenced_and_stderr_says_fenced_ones_are_missing()
    {
        await using var cluster = new ScriptedFencedCluster(describeClusterMax: 1);

        var run = await CliRun.RunAsync(cluster.Bootstrap, "cluster", "describe", "-o", "json");
        var json = run.Json();
        Assert.False(json.GetProperty("fencedBrokersIncluded").GetBoolean());
        Assert.Equal([1, 3], json.GetProperty("brokers").EnumerateArray().Select(b => b.GetProperty("id").GetInt32()));
        Assert.Equal(3, json.GetProperty("controllerId").GetInt32());
        Assert.Contains("fenced brokers could not be asked for", run.Error, StringComparison.Ordinal);
        Assert.Equal(1, Assert.Single(cluster.DescribeClusterRequests).Version);
    }
}
