namespace Gregor.Metadata;

/// <summary>One log dir as <c>gregor storage info</c> finds it: missing, not formatted, formatted (with its meta.properties) or unreadable.</summary>
public sealed record LogDirState(string Directory, LogDirStatus Status, MetaPropertiesFile? Properties, string? Problem);

public enum LogDirStatus
{
    Missing,
    Unformatted,
    Formatted,
    Unreadable,
}

/// <summary>Looks at log dirs without changing them, and says what stands out (dirs of different clusters or nodes).</summary>
public static class LogDirInspector
{
    public static IReadOnlyList<LogDirState> Inspect(IReadOnlyList<string> logDirs)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        var states = new List<LogDirState>();
        foreach (string dir in logDirs)
        {
            string path = Path.Combine(dir, MetaProperties.FileName);
            if (!Directory.Exists(dir)) states.Add(new LogDirState(dir, LogDirStatus.Missing, null, null));
            else if (!File.Exists(path)) states.Add(new LogDirState(dir, LogDirStatus.Unformatted, null, null));
            else
            {
                try
                {
                    states.Add(new LogDirState(dir, LogDirStatus.Formatted, MetaPropertiesFile.Read(path), null));
                }
                catch (Exception e) when (e is MetaPropertiesMismatchException or IOException or UnauthorizedAccessException)
                {
                    states.Add(new LogDirState(dir, LogDirStatus.Unreadable, null, e.Message));
                }
            }
        }
        return states;
    }

    /// <summary>What would stop a node with <paramref name="nodeId"/> from starting on these dirs, one line each.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<LogDirState> states, int nodeId)
    {
        ArgumentNullException.ThrowIfNull(states);
        var problems = states.Where(s => s.Problem is not null).Select(s => s.Problem!).ToList();
        var formatted = states.Where(s => s.Properties is not null).ToList();
        foreach (var s in formatted.Where(s => s.Properties!.NodeId != nodeId))
            problems.Add($"{s.Directory} belongs to node {s.Properties!.NodeId}, not to node.id {nodeId}.");
        if (formatted.Select(s => s.Properties!.ClusterId).Distinct(StringComparer.Ordinal).Count() > 1)
            problems.Add("The log dirs belong to different clusters: " + string.Join(", ", formatted.Select(s => $"{s.Directory} ({s.Properties!.ClusterId})")) + ".");
        foreach (var group in formatted.Where(s => s.Properties!.DirectoryId is not null).GroupBy(s => s.Properties!.DirectoryId).Where(g => g.Count() > 1))
            problems.Add($"The log dirs {string.Join(" and ", group.Select(s => s.Directory))} share directory.id {group.Key}.");
        return problems;
    }
}
