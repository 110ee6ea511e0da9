using System.Globalization;
using System.Text;
using System.Text.Json;
using Gregor.Cli.Commands;
using Spectre.Console;

namespace Gregor.Cli.Output;

/// <summary>What <c>gregor cluster describe</c> and <c>gregor cluster quorum</c> print.</summary>
internal sealed partial class ResultWriter
{
    public void ClusterDescription(ClusterDescriptionView cluster)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(cluster);
            return;
        }
        var console = Console();
        string source = cluster.ControllerSource == ClusterDescriptionView.FromMetadataQuorum ? "metadata quorum leader" : "as DescribeCluster names it";
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ClusterId: {cluster.ClusterId ?? "(none)"}  Controller: {cluster.ControllerId} ({source})"));
        var table = new Table().AddColumns("Id", "Host", "Port", "Rack", "Fenced", "Controller");
        foreach (var b in cluster.Brokers.OrderBy(b => b.Id))
            table.AddRow(Cell(b.Id), Markup.Escape(b.Host), Cell(b.Port), Markup.Escape(b.Rack ?? "-"), b.Fenced ? "true" : "false", b.IsController ? "yes" : "");
        console.Write(table);
    }

    public void QuorumStatus(QuorumStatusView status)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(status);
            return;
        }
        // The labels and layout of kafka-metadata-quorum describe --status, so what reads its output reads this.
        (string Label, string Value)[] lines =
        [
            ("ClusterId", status.ClusterId ?? "(none)"),
            ("LeaderId", Cell(status.LeaderId)),
            ("LeaderEpoch", Cell(status.LeaderEpoch)),
            ("HighWatermark", Cell(status.HighWatermark)),
            ("MaxFollowerLag", Cell(status.MaxFollowerLag)),
            ("MaxFollowerLagTimeMs", Cell(status.MaxFollowerLagTimeMs)),
            ("CurrentVoters", Members(status.CurrentVoters)),
            ("CurrentObservers", Members(status.CurrentObservers)),
        ];
        foreach (var (label, value) in lines)
            _out.WriteLine((label + ":").PadRight(24) + value);
    }

    public void QuorumReplication(IReadOnlyList<QuorumReplicationView> rows)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(rows);
            return;
        }
        var table = new Table().AddColumns("NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status");
        foreach (var r in rows)
            table.AddRow(Cell(r.NodeId), Cell(r.LogEndOffset), Cell(r.Lag), Cell(r.LastFetchTimestamp ?? -1), Cell(r.LastCaughtUpTimestamp ?? -1), r.Status);
        Console().Write(table);
    }

    /// <summary>As kafka-metadata-quorum writes them: <c>[{"id": 1, "endpoints": ["CONTROLLER://host:9093"]}, ...]</c>, endpoints only when known.</summary>
    private static string Members(IReadOnlyList<QuorumMemberView> members)
    {
        var text = new StringBuilder("[");
        foreach (var m in members)
        {
            if (text.Length > 1) text.Append(", ");
            text.Append(CultureInfo.InvariantCulture, $"{{\"id\": {m.Id}");
            if (m.Endpoints.Count > 0)
                text.Append(", \"endpoints\": [").AppendJoin(", ", m.Endpoints.Select(e => JsonSerializer.Serialize(e))).Append(']');
            text.Append('}');
        }
        return text.Append(']').ToString();
    }
}
