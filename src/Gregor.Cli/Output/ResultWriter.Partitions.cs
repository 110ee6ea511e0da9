using System.Globalization;
using Gregor.Cli.Commands;
using Spectre.Console;

namespace Gregor.Cli.Output;

// The partition commands' results.
internal sealed partial class ResultWriter
{
    public void PartitionOutcomes(IReadOnlyList<PartitionOutcomeView> outcomes)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(outcomes);
            return;
        }
        foreach (var o in outcomes)
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{o.Topic}-{o.Partition}: {o.Outcome}{(o.Error is null ? "" : " (" + o.Error + ")")}"));
    }

    public void Reassignments(IReadOnlyList<ReassignmentView> reassignments)
    {
        if (_format == OutputFormat.Json)
        {
            WriteJson(reassignments);
            return;
        }
        var table = new Table().AddColumns("Topic", "Partition", "Replicas", "Adding", "Removing");
        foreach (var r in reassignments)
            table.AddRow(Markup.Escape(r.Topic), Cell(r.Partition), string.Join(",", r.Replicas), string.Join(",", r.Adding), string.Join(",", r.Removing));
        Console().Write(table);
    }
}
