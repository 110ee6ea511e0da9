using System.Globalization;
using Gregor.Cli.Commands;
using Gregor.Cli.Output;
using Gregor.Client.Admin;
using Gregor.Client.Tests.Integration;

namespace Gregor.Cli.Tests;

/// <summary>gregor cluster describe and cluster quorum: their arguments, the figures kafka-metadata-quorum derives, and real runs against a broker.</summary>
public sealed class ClusterQuorumCommandTests
{
    private static Task<ParsedRun> Parse(params string[] args) => RecordingHandlers.ParseAsync(args);

    [Fact]
    public async Task Quorum_shows_the_status_unless_asked_for_replication_and_not_both()
    {
        Assert.Equal(QuorumView.Status, Assert.IsType<ClusterQuorumArgs>((await Parse("cluster", "quorum")).Args).View);
        Assert.Equal(QuorumView.Status, Assert.IsType<ClusterQuorumArgs>((await Parse("cluster", "quorum", "--status")).Args).View);
        var replication = Assert.IsType<ClusterQuorumArgs>((await Parse("cluster", "quorum", "--replication", "--bootstrap", "h:1", "-o", "json")).Args);
        Assert.Equal((QuorumView.Replication, "h:1", OutputFormat.Json), (replication.View, replication.Target.Bootstrap, replication.Target.Output));

        var both = await Parse("cluster", "quorum", "--status", "--replication");
        Assert.Equal(GregorCli.BadArguments, both.Exit);
        Assert.Null(both.Args);
        Assert.Contains("give one of --status or --replication", both.Error, StringComparison.Ordinal);

        var describe = Assert.IsType<ClusterDescribeArgs>((await Parse("-b", "h:2", "cluster", "describe")).Args);
        Assert.Equal("h:2", describe.Target.Bootstrap);
    }

    [Fact]
    public async Task Help_names_the_views_and_the_verbs()
    {
        var help = await Parse("cluster", "quorum", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("--status", help.Out, StringComparison.Ordinal);
        Assert.Contains("--replication", help.Out, StringComparison.Ordinal);
        Assert.Contains("--bootstrap", help.Out, StringComparison.Ordinal);
        var noun = await Parse("cluster");
        Assert.Contains("describe", noun.Out, StringComparison.Ordinal);
        Assert.Contains("quorum", noun.Out, StringComparison.Ordinal);
    }

    private static QuorumInfo ThreeVotersAndAnObserver() => new()
    {
        LeaderId = 2,
        LeaderEpoch = 9,
        HighWatermark = 95,
        Voters =
        [
            new QuorumReplicaState { ReplicaId = 3, LogEndOffset = 80, LastFetchTimestamp = 1_000_900, LastCaughtUpTimestamp = 1_000_400 },
            new QuorumReplicaState { ReplicaId = 2, LogEndOffset = 100, LastFetchTimestamp = 1_001_000, LastCaughtUpTimestamp = 1_001_000 },
            new QuorumReplicaState { ReplicaId = 1, LogEndOffset = 100, LastFetchTimestamp = 1_000_990, LastCaughtUpTimestamp = 1_000_990 },
        ],
        Observers = [new QuorumReplicaState { ReplicaId = 7, LogEndOffset = -1 }],
        Nodes = new()
        {
            [1] = new QuorumNode { NodeId = 1, Endpoints = [new QuorumEndpoint("CONTROLLER", "c1", 9093)] },
            [2] = new QuorumNode { NodeId = 2, Endpoints = [new QuorumEndpoint("CONTROLLER", "c2", 9093)] },
            [3] = new QuorumNode { NodeId = 3, Endpoints = [new QuorumEndpoint("CONTROLLER", "::1", 9093)] },
        },
    };

    [Fact]
    public void Status_is_the_furthest_voters_lag_behind_the_leader_and_how_long_since_it_was_caught_up()
    {
        var status = QuorumViews.Status("cid", ThreeVotersAndAnObserver());
        Assert.Equal(("cid", 2, 9, 95L), (status.ClusterId, status.LeaderId, status.LeaderEpoch, status.HighWatermark));
        Assert.Equal(20, status.MaxFollowerLag);              // leader 100 - voter 3 at 80
        Assert.Equal(600, status.MaxFollowerLagTimeMs);       // leader caught up at 1_001_000, voter 3 at 1_000_400
        Assert.Equal([3, 2, 1], status.CurrentVoters.Select(v => v.Id));
        Assert.Equal(["CONTROLLER://[::1]:9093"], status.CurrentVoters[0].Endpoints);
        Assert.Empty(Assert.Single(status.CurrentObservers).Endpoints);

        var writer = new StringWriter();
        new ResultWriter(writer, OutputFormat.Table).QuorumStatus(status);
        string[] lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["ClusterId:", "LeaderId:", "LeaderEpoch:", "HighWatermark:", "MaxFollowerLag:", "MaxFollowerLagTimeMs:", "CurrentVoters:", "CurrentObservers:"],
            lines.Select(l => l.Split(' ')[0]));
        Assert.Equal("MaxFollowerLag:         20", lines[4]);
        Assert.Equal("CurrentVoters:          [{\"id\": 3, \"endpoints\": [\"CONTROLLER://[::1]:9093\"]}, {\"id\": 2, \"endpoints\": [\"CONTROLLER://c2:9093\"]}, " +
            "{\"id\": 1, \"endpoints\": [\"CONTROLLER://c1:9093\"]}]", lines[6]);
        Assert.Equal("CurrentObservers:       [{\"id\": 7}]", lines[7]);
    }

    [Fact]
    public void Status_of_caught_up_voters_is_no_lag_and_an_unknown_caught_up_time_is_minus_one()
    {
        var quorum = ThreeVotersAndAnObserver();
        quorum.Voters[0].LogEndOffset = 100;
        var status = QuorumViews.Status(null, quorum);
        Assert.Equal((0L, 0L), (status.MaxFollowerLag, status.MaxFollowerLagTimeMs));

        quorum.Voters[0].LogEndOffset = -1; // the leader has not heard from it in this epoch
        quorum.Voters[0].LastCaughtUpTimestamp = null;
        status = QuorumViews.Status(null, quorum);
        Assert.Equal((100L, -1L), (status.MaxFollowerLag, status.MaxFollowerLagTimeMs));
    }

    [Fact]
    public void Replication_lists_the_leader_then_followers_then_observers_with_their_lag()
    {
        var rows = QuorumViews.Replication(ThreeVotersAndAnObserver());
        Assert.Equal([(2, 100L, 0L, "Leader"), (1, 100L, 0L, "Follower"), (3, 80L, 20L, "Follower"), (7, -1L, 100L, "Observer")],
            rows.Select(r => (r.NodeId, r.LogEndOffset, r.Lag, r.Status)));
        Assert.Equal((1_000_900L, 1_000_400L), (rows[2].LastFetchTimestamp!.Value, rows[2].LastCaughtUpTimestamp!.Value));
        Assert.Null(rows[3].LastFetchTimestamp);

        var writer = new StringWriter();
        new ResultWriter(writer, OutputFormat.Table).QuorumReplication(rows);
        string table = writer.ToString();
        Assert.Contains("LastCaughtUpTimestamp", table, StringComparison.Ordinal);
        Assert.Matches(@"7\s*│\s*-1\s*│\s*100\s*│\s*-1\s*│\s*-1\s*│\s*Observer", table); // unknown times print -1, as Kafka's tool
    }

    [Fact]
    public async Task Describe_and_quorum_run_against_a_broker()
    {
        long started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var broker = await ClientTestBroker.StartAsync();
        string b = broker.Bootstrap;
        string port = broker.Port.ToString(CultureInfo.InvariantCulture);

        var describe = await CliRun.RunAsync(b, "cluster", "describe");
        describe.AssertOk();
        Assert.Contains("ClusterId: ", describe.Out, StringComparison.Ordinal);
        Assert.Contains("Controller: 1 (metadata quorum leader)", describe.Out, StringComparison.Ordinal);
        Assert.Equal("", describe.Error);
        Assert.Matches(@"1\s*│\s*127\.0\.0\.1\s*│\s*" + port + @"\s*│\s*-\s*│\s*false\s*│\s*yes", describe.Out);
        var cluster = (await CliRun.RunAsync(b, "cluster", "describe", "-o", "json")).Json();
        string clusterId = cluster.GetProperty("clusterId").GetString()!;
        Assert.Equal((1, "metadataQuorum", true), (cluster.GetProperty("controllerId").GetInt32(), cluster.GetProperty("controllerSource").GetString(),
            cluster.GetProperty("fencedBrokersIncluded").GetBoolean()));
        var only = Assert.Single(cluster.GetProperty("brokers").EnumerateArray());
        Assert.Equal((1, "127.0.0.1", broker.Port, false, true), (only.GetProperty("id").GetInt32(), only.GetProperty("host").GetString(),
            only.GetProperty("port").GetInt32(), only.GetProperty("fenced").GetBoolean(), only.GetProperty("isController").GetBoolean()));

        var status = await CliRun.RunAsync(b, "cluster", "quorum");
        status.AssertOk();
        Assert.Contains($"ClusterId:              {clusterId}", status.Out, StringComparison.Ordinal);
        Assert.Contains("LeaderId:               1", status.Out, StringComparison.Ordinal);
        Assert.Contains($"CurrentVoters:          [{{\"id\": 1, \"endpoints\": [\"PLAINTEXT://127.0.0.1:{port}\"]}}]", status.Out, StringComparison.Ordinal);
        var json = (await CliRun.RunAsync(b, "cluster", "quorum", "--status", "-o", "json")).Json();
        Assert.Equal((clusterId, 1, 0L, 0L), (json.GetProperty("clusterId").GetString(), json.GetProperty("leaderId").GetInt32(),
            json.GetProperty("maxFollowerLag").GetInt64(), json.GetProperty("maxFollowerLagTimeMs").GetInt64()));
        Assert.True(json.GetProperty("highWatermark").GetInt64() > 0);
        Assert.Empty(json.GetProperty("currentObservers").EnumerateArray());

        var replication = await CliRun.RunAsync(b, "cluster", "quorum", "--replication");
        replication.AssertOk();
        Assert.Matches(@"1\s*│\s*\d+\s*│\s*0\s*│\s*\d{13}\s*│\s*\d{13}\s*│\s*Leader", replication.Out);
        var row = Assert.Single((await CliRun.RunAsync(b, "cluster", "quorum", "--replication", "-o", "json")).Json().EnumerateArray());
        Assert.Equal((1, 0L, "Leader"), (row.GetProperty("nodeId").GetInt32(), row.GetProperty("lag").GetInt64(), row.GetProperty("status").GetString()));
        Assert.InRange(row.GetProperty("lastFetchTimestamp").GetInt64(), started, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }
}
