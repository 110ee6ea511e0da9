using System.Globalization;
using Gregor.Cli.Commands;
using Spectre.Console;

namespace Gregor.Cli.Output;

/// <summary>What the <c>gregor storage</c> commands print.</summary>
internal sealed partial class ResultWriter
{
    public void RandomUuid(RandomUuidView uuid)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(uuid);
            return;
        }
        // Bare, as kafka-storage random-uuid prints it, so CLUSTER_ID=$(gregor storage random-uuid) works.
        _out.WriteLine(uuid.Uuid);
    }

    public void StorageFormat(StorageFormatView format)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(format);
            return;
        }
        foreach (string dir in format.AlreadyFormatted)
            _out.WriteLine($"Skipped {dir}: already formatted for cluster {format.ClusterId}, node {format.NodeId.ToString(CultureInfo.InvariantCulture)}.");
        foreach (string dir in format.Formatted)
            _out.WriteLine($"Formatted {dir} for cluster {format.ClusterId}, node {format.NodeId.ToString(CultureInfo.InvariantCulture)}.");
        if (format.Formatted.Count == 0)
            _out.WriteLine("All of the log dirs are already formatted.");
    }

    public void StorageInfo(StorageInfoView info)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(info);
            return;
        }
        var table = new Table().AddColumns("Directory", "Status", "Cluster id", "Node id", "Directory id");
        foreach (var dir in info.LogDirs)
            table.AddRow(Markup.Escape(dir.Directory), dir.Status, dir.ClusterId ?? "-", dir.NodeId?.ToString(CultureInfo.InvariantCulture) ?? "-", dir.DirectoryId ?? "-");
        Console().Write(table);
        foreach (string problem in info.Problems)
            _out.WriteLine("Problem: " + problem);
    }
}
