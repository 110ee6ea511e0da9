using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gregor.Cli.Commands;
using Spectre.Console;

namespace Gregor.Cli.Output;

/// <summary>Prints views as a Spectre.Console table or as indented JSON (camelCase), to the given writer.</summary>
internal sealed partial class ResultWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private readonly TextWriter _out;
    private readonly OutputFormat _format;

    public ResultWriter(TextWriter output, OutputFormat format)
    {
        _out = output;
        _format = format;
    }

    public void TopicList(IReadOnlyList<string> topics)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(topics);
            return;
        }
        // kafka-topics --list prints bare names, one per line; keep that so it pipes into other tools.
        foreach (string topic in topics) _out.WriteLine(topic);
    }

    /// <summary>Several topics' descriptions: a JSON array of them, or each one's text in turn, a blank line between.</summary>
    public void TopicDescriptions(IReadOnlyList<TopicDescriptionView> topics)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(topics);
            return;
        }
        for (int i = 0; i < topics.Count; i++)
        {
            if (i > 0) _out.WriteLine();
            TopicDescription(topics[i]);
        }
    }

    public void TopicDescription(TopicDescriptionView topic)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(topic);
            return;
        }
        var console = Console();
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Topic: {topic.Name}  Partitions: {topic.PartitionCount}  ReplicationFactor: {topic.ReplicationFactor}"));
        var table = new Table().AddColumns("Partition", "Leader", "Replicas", "Isr", "Status");
        foreach (var p in topic.Partitions)
        {
            string status = string.Join(", ", new[] { p.Offline ? "offline" : null, p.UnderReplicated ? "under-replicated" : null }.OfType<string>());
            table.AddRow(Cell(p.Partition), p.Offline ? "none" : Cell(p.Leader), Markup.Escape(string.Join(",", p.Replicas)), Markup.Escape(string.Join(",", p.Isr)), status);
        }
        console.Write(table);
        if (topic.Configs.Count > 0)
        {
            var configs = new Table().AddColumns("Config", "Value");
            foreach (var (name, value) in topic.Configs.OrderBy(c => c.Key, StringComparer.Ordinal))
                configs.AddRow(Markup.Escape(name), Markup.Escape(value));
            console.Write(configs);
        }
    }

    public void Cluster(ClusterView cluster)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(cluster);
            return;
        }
        var console = Console();
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Cluster: {cluster.ClusterId ?? "(none)"}  Controller: {cluster.ControllerId}"));
        var table = new Table().AddColumns("Broker", "Host", "Port", "Rack");
        foreach (var b in cluster.Brokers.OrderBy(b => b.Id))
            table.AddRow(Cell(b.Id), Markup.Escape(b.Host), Cell(b.Port), Markup.Escape(b.Rack ?? ""));
        console.Write(table);
    }

    public void Offsets(IReadOnlyList<PartitionOffsetsView> offsets)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(offsets);
            return;
        }
        var table = new Table().AddColumns("Topic", "Partition", "Earliest", "Latest", "Records");
        foreach (var o in offsets)
            table.AddRow(Markup.Escape(o.Topic), Cell(o.Partition), Cell(o.Earliest), Cell(o.Latest), Cell(o.Latest - o.Earliest));
        Console().Write(table);
    }

    public void Perf(PerfReport report)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(new
            {
                report.Kind, report.Records, report.Bytes, report.ElapsedSeconds, report.Failed,
                report.RecordsPerSecond, report.MegabytesPerSecond,
                report.AvgLatencyMs, report.P50Ms, report.P95Ms, report.P99Ms, report.P999Ms, report.MaxMs, report.TimedRecords,
                report.Cost?.AllocatedBytes, report.Cost?.AllocatedBytesPerRecord, report.Cost?.Gen0Collections,
                report.Cost?.Gen1Collections, report.Cost?.Gen2Collections, report.Cost?.CpuSeconds,
            });
            return;
        }
        var table = new Table().AddColumns("Records", "Failed", "Seconds", "Records/s", "MB/s", "Avg ms", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "Max ms");
        table.AddRow(Cell(report.Records), Cell(report.Failed), Number(report.ElapsedSeconds), Number(report.RecordsPerSecond, "F0"),
            Number(report.MegabytesPerSecond), Number(report.AvgLatencyMs), Number(report.P50Ms), Number(report.P95Ms),
            Number(report.P99Ms), Number(report.P999Ms), Number(report.MaxMs));
        Console().Write(table);
        if (report.Cost is { } cost)
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Process during the run: {cost.AllocatedBytesPerRecord:F1} B allocated per record ({cost.AllocatedBytes:N0} B), garbage collections gen0 {cost.Gen0Collections} gen1 {cost.Gen1Collections} gen2 {cost.Gen2Collections}, CPU {cost.CpuSeconds:F2} s"));
    }

    public void Action(ActionView action)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(action);
            return;
        }
        _out.WriteLine(string.IsNullOrEmpty(action.Detail) ? $"{action.Action} topic {action.Topic}." : $"{action.Action} topic {action.Topic}: {action.Detail}.");
    }

    private void WriteJson<T>(T value) => _out.WriteLine(JsonSerializer.Serialize(value, Json));

    private static string Cell(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value, string format = "F2") => value.ToString(format, CultureInfo.InvariantCulture);

    // Plain text, no colour or cursor codes, a fixed width: output that reads the same in a file or a pipe.
    // Wide, so that rows with long member ids stay one line each rather than wrapping inside their cells.
    private IAnsiConsole Console()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(_out),
        });
        console.Profile.Width = 240;
        return console;
    }
}
